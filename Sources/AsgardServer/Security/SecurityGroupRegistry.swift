import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// Creates security groups, opens and closes their ingress rules and deletes them, in a region
/// whose cloud has them (AWS).
struct SecurityGroupRegistry: Sendable {
    let cloud: any SecurityGroupProvider
    /// The region's cloud, whose server groups may launch into a security group.
    let servers: any CloudProvider
    let region: String
    let applications: any ApplicationStore
    let now: @Sendable () -> Date

    func show(_ name: String) async throws -> SecurityGroupRecord {
        guard !name.isEmpty, let record = try await cloud.securityGroup(named: name) else {
            throw ConsoleError.notFound("Security group '\(name)' not found; see /\(region)/security/list")
        }
        return record
    }

    /// The application a security group belongs to: the part of its name before the first hyphen.
    static func appName(of name: String) -> String {
        String(name.split(separator: "-", maxSplits: 1).first ?? "").lowercased()
    }

    func create(_ fields: FormFields, user: String) async throws -> (SecurityGroupRecord, TaskRecord) {
        let name = (fields["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 255, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
              !name.lowercased().hasPrefix("sg-") else {
            throw ConsoleError.invalid("name", "'\(name)' must be 1 to 255 letters, digits, hyphens, underscores or dots, not starting with sg-, e.g. shop-web")
        }
        let app = Self.appName(of: name)
        guard let appName = try? AppName(validating: app), try await applications.application(named: appName) != nil else {
            throw ConsoleError.invalid("name", "'\(app)' (the part before the first hyphen) is not a registered application; register it first (asgard app create)")
        }
        let description = (fields["description"] ?? "").trimmingCharacters(in: .whitespaces)
        guard description.count <= 255, description.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
            throw ConsoleError.invalid("description", "must be at most 255 plain ASCII characters on one line")
        }
        if try await cloud.securityGroup(named: name) != nil {
            throw ConsoleError(.conflict, "Security group '\(name)' exists already; choose another name or change its rules")
        }
        let time = now()
        let task = TaskDraft(operation: "Create security group \(name)", objectType: .securityGroup, objectId: name, user: user, region: region,
                             status: .succeeded, log: [TaskLogLine(time: time, message: "Created security group \(name) with no ingress rules")])
        let recorded = try await cloud.createSecurityGroup(named: name, description: description.isEmpty ? "Security group of \(app)" : description, task: task)
        return (try await show(name), recorded)
    }

    /// Opens the rules of `authorize` and closes those of `revoke`; sources named by group name.
    func update(_ fields: FormFields, user: String) async throws -> (SecurityGroupRecord, [TaskRecord]) {
        let record = try await show(fields["name"] ?? "")
        let groups = try await cloud.securityGroups()
        var problems: [FieldError] = []
        func rules(_ field: String) -> [IngressRule] {
            fields.list(field).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.compactMap { text in
                do {
                    var (rule, source) = try IngressRule.parse(text, field: field)
                    if let source {
                        guard let group = groups.first(where: { $0.groupName == source || $0.groupId == source }) else {
                            problems.append(FieldError(field: field, message: "'\(source)' in '\(text)' is not a security group of \(region) nor a CIDR block; see /\(region)/security/list"))
                            return nil
                        }
                        rule.sourceGroupId = group.groupId
                        rule.sourceGroupName = group.groupName
                    }
                    return rule
                } catch let error as FieldError {
                    problems.append(error)
                    return nil
                } catch {
                    return nil
                }
            }
        }
        let opening = rules("authorize"), closing = rules("revoke")
        if problems.isEmpty, opening.isEmpty, closing.isEmpty {
            problems.append(FieldError(field: "authorize", message: "give a rule to open (authorize) or close (revoke), e.g. tcp:7001:10.0.0.0/8"))
        }
        for rule in closing where !record.ingress.contains(where: { Self.same($0, rule) }) {
            problems.append(FieldError(field: "revoke", message: "\(rule.text) is not a rule of \(record.groupName); its rules: \(record.ingress.map(\.text).joined(separator: ", ").nonEmptyOr("none"))"))
        }
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        var done: [TaskRecord] = []
        let name = record.groupName
        for (rules, authorized) in [(closing, false), (opening.filter { rule in !record.ingress.contains { Self.same($0, rule) } }, true)] where !rules.isEmpty {
            let words = rules.map(\.text).joined(separator: ", ")
            let task = TaskDraft(operation: "\(authorized ? "Open" : "Close") ingress of security group \(name)", objectType: .securityGroup, objectId: name,
                                 user: user, region: region, status: .succeeded,
                                 log: [TaskLogLine(time: now(), message: "\(authorized ? "Authorized" : "Revoked") \(words) on \(name)")])
            done.append(try await cloud.setIngress(rules, of: name, authorized: authorized, task: task))
        }
        return (try await show(name), done)
    }

    /// Whether two rules open the same thing (names of source groups aside).
    static func same(_ a: IngressRule, _ b: IngressRule) -> Bool {
        a.ipProtocol == b.ipProtocol && (a.ipProtocol == "-1" || (a.fromPort, a.toPort) == (b.fromPort, b.toPort)) && a.cidr == b.cidr
            && a.sourceGroupId == b.sourceGroupId
    }

    func delete(_ name: String, user: String) async throws -> TaskRecord {
        let record = try await show(name)
        let users = try await servers.serverGroups().filter { $0.securityGroups.contains(record.groupName) }.map(\.autoScalingGroupName)
        guard users.isEmpty else {
            throw ConsoleError(.conflict, "Security group \(record.groupName) is used by server group\(users.count == 1 ? "" : "s") \(users.joined(separator: ", ")); delete \(users.count == 1 ? "it" : "them") first")
        }
        let task = TaskDraft(operation: "Delete security group \(record.groupName)", objectType: .securityGroup, objectId: record.groupName,
                             user: user, region: region, status: .succeeded,
                             log: [TaskLogLine(time: now(), message: "Deleted security group \(record.groupName) (\(record.groupId))")])
        return try await cloud.deleteSecurityGroup(named: record.groupName, task: task)
    }
}

extension String {
    /// `fallback` when empty.
    func nonEmptyOr(_ fallback: String) -> String { isEmpty ? fallback : self }
}
