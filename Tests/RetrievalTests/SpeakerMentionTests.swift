import Testing
import MemCube
@testable import Retrieval

@Suite struct SpeakerMentionTests {
    @Test func aQueryNamesASpeakerByAnyOfItsNamesAndAnyCase() {
        let speakers: Set<String> = ["Caroline", "Melanie", "Dr. Lee", "Jon Snow"]
        #expect(SpeakerMention.named(in: "What did caroline say about her dog?", among: speakers) == ["caroline"])
        #expect(SpeakerMention.named(in: "Where is Melanie's studio", among: speakers) == ["melanie"])
        #expect(SpeakerMention.named(in: "what does Jon like", among: speakers) == ["jon snow"])
        #expect(SpeakerMention.named(in: "what did everyone bring", among: speakers).isEmpty)
        #expect(SpeakerMention.named(in: "anything", among: []).isEmpty)
    }

    @Test func theSpeakerIsTheFieldElseTheNamePrefixOfTheText() {
        let base = MemCube(id: .generate(at: 0), namespace: "n", text: "Caroline: I moved to Berlin", createdAt: Timestamp(millis: 0), provenance: Provenance(operation: .add))
        #expect(SpeakerMention.speaker(of: base) == "Caroline")
        var withField = base
        withField.speaker = "Dana"
        #expect(SpeakerMention.speaker(of: withField) == "Dana")
        var note = base
        note.text = "remember: buy milk"
        #expect(SpeakerMention.speaker(of: note) == nil, "a lower-case prefix is not a speaker")
        note.text = "Meeting at 10:30 with the team"
        #expect(SpeakerMention.speaker(of: note) == nil)
    }

    @Test func irregularFormsMeetTheirBaseWithLemmas() {
        var parameters = KeywordIndex.Parameters()
        parameters.lemmas = true
        #expect(parameters.term("bought") == parameters.term("buy"))
        #expect(parameters.term("children") == parameters.term("child"))
        #expect(parameters.term("went") == parameters.term("go"))
        parameters.lemmas = false
        #expect(parameters.term("bought") != parameters.term("buy"))
    }
}
