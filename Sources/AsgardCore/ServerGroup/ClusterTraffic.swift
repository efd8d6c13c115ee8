/// Asgard's rules for taking server groups in and out of service (its "disable" and "enable").
public enum ClusterTraffic {
    /// The processes disabling a group suspends, and enabling it resumes: Asgard's three, and its
    /// scaling (a group without traffic must not scale on the traffic it no longer gets).
    public static let disableProcesses: [ScalingProcess] = [.launch, .terminate, .addToLoadBalancer, .alarmNotification, .scheduledActions]

    /// True when `group`'s load balancers send it requests.
    public static func isEnabled(_ group: ServerGroupRecord) -> Bool {
        !group.loadBalancerNames.isEmpty && !group.isSuspended(.addToLoadBalancer)
    }

    /// Why disabling `group` is refused (the traffic guard), nil when it may go: a cluster must
    /// keep an enabled group unless the caller forces it.
    public static func guardProblem(disabling group: ServerGroupRecord, cluster: [ServerGroupRecord]) -> String? {
        guard isEnabled(group) else { return nil }
        let others = cluster.filter { $0.autoScalingGroupName != group.autoScalingGroupName && isEnabled($0) }
        guard others.isEmpty else { return nil }
        return "\(group.autoScalingGroupName) is the last enabled server group of cluster \(group.names?.cluster ?? group.autoScalingGroupName); "
            + "disabling it leaves no server group taking traffic. Enable another group first, or force it (force=true; asgard cluster disable --force)"
    }

    /// The group a cluster's next group copies its scaling from: the newest that takes traffic
    /// (a canary that failed, or a group rolled back from, is newer but disabled), else the newest.
    public static func scalingSource(in cluster: [ServerGroupRecord], excluding name: String? = nil) -> ServerGroupRecord? {
        let others = cluster.filter { $0.autoScalingGroupName != name }
        return others.last(where: isEnabled) ?? others.last
    }

    /// What a cluster's rollback does: the newest group taking traffic goes out, the newest
    /// disabled group older than it comes back; nil when there is no such pair. `groups` oldest first.
    public static func rollbackTarget(in groups: [ServerGroupRecord]) -> (current: ServerGroupRecord, previous: ServerGroupRecord)? {
        guard let current = groups.last(where: isEnabled) else { return nil }
        let older = groups.prefix { $0.autoScalingGroupName != current.autoScalingGroupName }
        guard let previous = older.last(where: { !isEnabled($0) && !$0.loadBalancerNames.isEmpty }) else { return nil }
        return (current, previous)
    }
}
