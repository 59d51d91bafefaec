/// Irregular English forms the Porter stemmer cannot join to their base
/// ("bought" and "buy", "children" and "child"): looked up before stemming,
/// in the keyword index and in queries alike, so both sides meet. Words
/// whose other senses are common ("saw", "bit", "rose", "read"; "lives" and
/// "leaves", which are verbs more often than plurals) are left out.
enum Lemmas {
    static func base(_ word: String) -> String { table[word] ?? word }

    static let table: [String: String] = {
        var table: [String: String] = [:]
        // base: its irregular forms
        let verbs: [(String, [String])] = [
            ("arise", ["arose", "arisen"]), ("become", ["became"]), ("begin", ["began", "begun"]), ("bend", ["bent"]),
            ("blow", ["blew", "blown"]), ("break", ["broke", "broken"]), ("breed", ["bred"]), ("bring", ["brought"]),
            ("build", ["built"]), ("burn", ["burnt"]), ("buy", ["bought"]), ("catch", ["caught"]), ("choose", ["chose", "chosen"]),
            ("come", ["came"]), ("deal", ["dealt"]), ("dig", ["dug"]), ("do", ["did", "done"]), ("draw", ["drew", "drawn"]),
            ("dream", ["dreamt"]), ("drink", ["drank", "drunk"]), ("drive", ["drove", "driven"]), ("eat", ["ate", "eaten"]),
            ("fall", ["fell", "fallen"]), ("feed", ["fed"]), ("feel", ["felt"]), ("fight", ["fought"]), ("find", ["found"]),
            ("flee", ["fled"]), ("fly", ["flew", "flown"]), ("forget", ["forgot", "forgotten"]), ("forgive", ["forgave", "forgiven"]),
            ("freeze", ["froze", "frozen"]), ("get", ["got", "gotten"]), ("give", ["gave", "given"]), ("go", ["went", "gone"]),
            ("grow", ["grew", "grown"]), ("hang", ["hung"]), ("have", ["had", "has"]), ("hear", ["heard"]),
            ("hide", ["hid", "hidden"]), ("hold", ["held"]), ("keep", ["kept"]), ("know", ["knew", "known"]),
            ("lead", ["led"]), ("learn", ["learnt"]), ("leave", ["left"]), ("lend", ["lent"]), ("lose", ["lost"]),
            ("make", ["made"]), ("mean", ["meant"]), ("meet", ["met"]), ("pay", ["paid"]), ("ride", ["rode", "ridden"]),
            ("ring", ["rang", "rung"]), ("run", ["ran"]), ("say", ["said"]), ("see", ["seen"]), ("seek", ["sought"]),
            ("sell", ["sold"]), ("send", ["sent"]), ("shake", ["shook", "shaken"]), ("shoot", ["shot"]), ("sing", ["sang", "sung"]),
            ("sink", ["sank", "sunk"]), ("sit", ["sat"]), ("sleep", ["slept"]), ("speak", ["spoke", "spoken"]),
            ("spend", ["spent"]), ("stand", ["stood"]), ("steal", ["stole", "stolen"]), ("sweep", ["swept"]),
            ("swim", ["swam", "swum"]), ("take", ["took", "taken"]), ("teach", ["taught"]), ("tear", ["tore", "torn"]),
            ("tell", ["told"]), ("think", ["thought"]), ("throw", ["threw", "thrown"]), ("understand", ["understood"]),
            ("wake", ["woke", "woken"]), ("wear", ["wore", "worn"]), ("weep", ["wept"]), ("win", ["won"]),
            ("write", ["wrote", "written"]),
        ]
        let nouns: [(String, [String])] = [
            ("child", ["children"]), ("man", ["men"]), ("woman", ["women"]), ("person", ["people"]), ("foot", ["feet"]),
            ("tooth", ["teeth"]), ("mouse", ["mice"]), ("goose", ["geese"]), ("wife", ["wives"]),
            ("knife", ["knives"]), ("wolf", ["wolves"]), ("half", ["halves"]),
        ]
        for (base, forms) in verbs + nouns { for form in forms { table[form] = base } }
        return table
    }()
}
