import AsgardCloud
import AsgardCore
import Foundation

/// Security groups of the region's default VPC (EC2-Classic is gone): read all at once (one
/// call), again after each change.
extension AWSCloudProvider: SecurityGroupProvider {
    @discardableResult
    func refreshSecurityGroups() async throws -> [SecurityGroupRecord] {
        let groups = try await ec2.securityGroups()
        await cache.put(securityGroups: groups)
        return groups
    }

    private func cachedSecurityGroups() async throws -> [SecurityGroupRecord] {
        if let known = await cache.securityGroups { return known }
        return try await refreshSecurityGroups()
    }

    public func securityGroups() async throws -> [SecurityGroupRecord] {
        try await aws { try await cachedSecurityGroups() }.sorted { ($0.groupName, $0.groupId) < ($1.groupName, $1.groupId) }
    }

    public func securityGroup(named name: String) async throws -> SecurityGroupRecord? {
        try await aws { try await cachedSecurityGroups() }.first { $0.groupName == name }
    }

    /// The group named `name`, read again from AWS when the cache does not know it.
    private func existing(_ name: String) async throws -> SecurityGroupRecord {
        if let known = try await cachedSecurityGroups().first(where: { $0.groupName == name }) { return known }
        guard let found = try await refreshSecurityGroups().first(where: { $0.groupName == name }) else {
            throw AWSError(status: 400, code: "InvalidGroup.NotFound", message: "The security group '\(name)' does not exist")
        }
        return found
    }

    /// The ids of security groups named.
    func securityGroupIds(_ names: [String]) async throws -> [String] {
        var ids: [String] = []
        for name in names { ids.append(try await existing(name).groupId) }
        return ids
    }

    public func createSecurityGroup(named name: String, description: String, task: TaskDraft) async throws -> TaskRecord {
        try await aws {
            let vpc = try await network().first?.vpc
            try await createOnce(ec2.client, exists: { try await self.refreshSecurityGroups().contains { $0.groupName == name } }) {
                _ = try await self.ec2.createSecurityGroup(name, description: description, vpc: vpc)
            }
            try await refreshSecurityGroups()
        }
        return try await recordTask(task)
    }

    public func setIngress(_ rules: [IngressRule], of name: String, authorized: Bool, task: TaskDraft) async throws -> TaskRecord {
        try await aws {
            let group = try await existing(name)
            do {
                try await ec2.setIngress(group.groupId, rules, authorized: authorized)
            } catch let error as AWSError where error.code == "InvalidPermission.Duplicate" && authorized {
                // A retry whose first answer was lost, or a rule that is there: open, as asked.
            }
            try await refreshSecurityGroups()
        }
        return try await recordTask(task)
    }

    public func deleteSecurityGroup(named name: String, task: TaskDraft) async throws -> TaskRecord {
        try await aws {
            let group = try await existing(name)
            try await ec2.deleteSecurityGroup(group.groupId)
            try await refreshSecurityGroups()
        }
        return try await recordTask(task)
    }
}
