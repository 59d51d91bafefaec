import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Other local users against a live memosd: refused by default, let in by
/// --allow-uid / --allow-gid, confined to their own and shared namespaces.
/// The second users are uids with no other rights (setpriv), so the test
/// needs root; otherwise it says it is skipped.
@Suite(.serialized) struct LocalUsersTests {
    static let alice: (uid: UInt32, gid: UInt32) = (4401, 4401)
    static let bob: (uid: UInt32, gid: UInt32) = (4402, 4500)

    static var canRun: Bool {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            print("LocalUsersTests: skipped (needs root and setpriv to act as a second local user)")
            return false
        }
        return true
    }

    @Test func anotherUserIsRefusedUnlessLetIn() throws {
        guard Self.canRun else { return }
        let daemon = try LiveDaemon()
        let refused = try daemon.memctl(["-n", "mine", "add", "hello"], as: Self.alice)
        #expect(refused.status != 0)
        #expect(refused.err.contains("may not use this memosd") || refused.err.contains("Permission denied"), "\(refused.err)")
        // Let in by uid: alice, not bob.
        _ = daemon.terminate()
        try daemon.start(extra: ["--allow-uid", "\(Self.alice.uid)"])
        #expect(try daemon.memctl(["-n", "alice-notes", "add", "alice likes tea"], as: Self.alice).status == 0)
        let bob = try daemon.memctl(["-n", "bob-notes", "add", "bob likes coffee"], as: Self.bob)
        #expect(bob.status != 0 && bob.err.contains("--allow-uid \(Self.bob.uid)"), "bob: \(bob.err)")
        // Let in by group: bob's group.
        _ = daemon.terminate()
        try daemon.start(extra: ["--allow-gid", "\(Self.bob.gid)"])
        #expect(try daemon.memctl(["-n", "bob-notes", "add", "bob likes coffee"], as: Self.bob).status == 0)
        #expect(try daemon.memctl(["-n", "alice-notes", "list"], as: Self.alice).status != 0)
    }

    @Test func usersAreConfinedToTheirOwnAndSharedNamespaces() throws {
        guard Self.canRun else { return }
        let daemon = try LiveDaemon(extra: ["--allow-uid", "\(Self.alice.uid),\(Self.bob.uid)"])
        // The daemon's user writes its own namespaces (default among them).
        #expect(try daemon.memctl(["add", "the owner's secret is 7731"]).status == 0)
        #expect(try daemon.memctl(["-n", "team", "add", "the team meets on Tuesdays"]).status == 0)
        // Alice: her own namespace works, others' do not, in every direction.
        #expect(try daemon.memctl(["-n", "alice", "add", "alice's plan: learn Swift"], as: Self.alice).status == 0)
        for command in [["recall", "secret"], ["list"], ["add", "planted"], ["forget", "01M810J6KFPRWC6EF0S5SE9RZ0"]] {
            let r = try daemon.memctl(command, as: Self.alice)
            #expect(r.status != 0 && r.err.contains("belongs to user 0"), "\(command): \(r.err)")
            #expect(!r.out.contains("7731"))
        }
        #expect(try daemon.memctl(["-n", "alice", "recall", "Swift", "--json"], as: Self.bob).status != 0)
        #expect(try daemon.memctl(["consolidate", "--all"], as: Self.alice).status != 0)
        #expect(try daemon.memctl(["tick"], as: Self.alice).status != 0)
        // Stats and namespace list show her only what she may see.
        let stats = try daemon.memctl(["stats", "--json"], as: Self.alice)
        #expect(stats.status == 0 && stats.out.contains("\"alice\"") && !stats.out.contains("\"team\"") && !stats.out.contains("\"default\""))
        // The owner shares team with alice to read: she reads it, cannot write it.
        #expect(try daemon.memctl(["namespace", "share", "team", "\(Self.alice.uid)"]).status == 0)
        let shared = try daemon.memctl(["-n", "team", "recall", "when does the team meet"], as: Self.alice)
        #expect(shared.status == 0 && shared.out.contains("Tuesdays"))
        let readOnly = try daemon.memctl(["-n", "team", "add", "alice was here"], as: Self.alice)
        #expect(readOnly.status != 0 && readOnly.err.contains("read only"), "\(readOnly.err)")
        #expect(try daemon.memctl(["-n", "team", "recall", "team"], as: Self.bob).status != 0)
        // Read-write, then taken back.
        #expect(try daemon.memctl(["namespace", "share", "team", "\(Self.alice.uid)", "--access", "read-write"]).status == 0)
        #expect(try daemon.memctl(["-n", "team", "add", "alice was here"], as: Self.alice).status == 0)
        #expect(try daemon.memctl(["namespace", "unshare", "team", "\(Self.alice.uid)"]).status == 0)
        #expect(try daemon.memctl(["-n", "team", "recall", "team"], as: Self.alice).status != 0)
        // Alice shares her own namespace with bob; bob cannot reshare it.
        #expect(try daemon.memctl(["namespace", "share", "alice", "\(Self.bob.uid)"], as: Self.alice).status == 0)
        #expect(try daemon.memctl(["-n", "alice", "recall", "Swift"], as: Self.bob).out.contains("learn Swift"))
        #expect(try daemon.memctl(["namespace", "share", "alice", "4999"], as: Self.bob).status != 0)
        let list = try daemon.memctl(["namespace", "list"], as: Self.bob)
        #expect(list.out.contains("alice") && list.out.contains("read") && !list.out.contains("team"), "\(list.out)")
    }
}
