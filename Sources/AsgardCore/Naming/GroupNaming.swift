/// Names derived from a cluster or group name.
public enum GroupNaming {
    /// The highest push number before the sequence wraps to 000, as in Asgard.
    public static let maxSequence = 999

    /// The name of the server group that follows `previousGroup` in `cluster`: `v000` when there
    /// is none or it carries no push number, the next number otherwise, and `v000` again after
    /// `v999`.
    public static func nextGroupName(cluster: String, previousGroup: String?) -> String {
        let previous = previousGroup.flatMap { Names(parsing: $0)?.sequence }
        let next = (previous == nil || previous! >= maxSequence) ? 0 : previous! + 1
        return "\(cluster)-v\(threeDigits(next))"
    }

    /// The cluster a group name belongs to, nil when it is not a valid name.
    public static func cluster(ofGroup group: String) -> String? {
        Names(parsing: group)?.cluster
    }

    /// The environment variables Asgard passes to instances of `group` (its user data), each
    /// prefixed with `prefix`: app, stack, cluster and group always, labeled variables when the
    /// name carries them. Answers nil for a string that is not a name.
    public static func environmentVariables(forGroup group: String, prefix: String = "CLOUD_") -> [String: String]? {
        guard let names = Names(parsing: group) else { return nil }
        var vars: [String: String] = [
            prefix + "APP": names.app,
            prefix + "STACK": names.stack ?? "",
            prefix + "CLUSTER": names.cluster,
            prefix + "AUTO_SCALE_GROUP": names.group,
        ]
        for (variable, value) in names.labeledVariables {
            vars[prefix + variable.environmentSuffix] = value
        }
        return vars
    }

    private static func threeDigits(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 3 - s.count)) + s
    }
}
