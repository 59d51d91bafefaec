/// Every method of the protocol, once: the dispatcher registers a handler for
/// each (tested), and the schema test checks each one's params against
/// schemas/memos.schema.json.
public enum AllMethods {
    public static let types: [any RPCMethod.Type] = [
        MemoryAdd.self, MemoryRecall.self, MemoryForget.self, MemoryGet.self, MemoryUpdate.self,
        MemoryHistory.self, MemoryRevert.self, MemoryList.self, MemoryLink.self, MemoryFuse.self,
        MemoryCompose.self, GraphNeighbors.self, MemoryExport.self, MemoryImport.self, MemoryIngest.self,
        SchedulerStatus.self, SchedulerPromote.self, SchedulerDemote.self, SchedulerPin.self, SchedulerUnpin.self,
        SchedulerTouch.self, SchedulerTick.self, SchedulerSubscribe.self, SchedulerComplete.self, SchedulerFail.self,
        ConsolidateRun.self, ConsolidateStatus.self, ConsolidateReport.self, ConsolidateUndo.self,
        SystemHealth.self, SystemStats.self, SystemReindex.self, SystemDoctor.self, SystemBackup.self,
        NamespaceShare.self, NamespaceUnshare.self, NamespaceList.self,
    ]

    /// The methods' names, sorted.
    public static var names: [String] { types.map { $0.name }.sorted() }

    /// Each method's name and the keys its params accept.
    public static var paramKeys: [String: Set<String>] {
        func keys<M: RPCMethod>(_ method: M.Type) -> Set<String> { M.paramKeys }
        return Dictionary(uniqueKeysWithValues: types.map { ($0.name, keys($0)) })
    }
}
