import AsgardAPI
import AsgardCloud
import AsgardCore
import Foundation
import Hummingbird

extension Console {
    /// The security groups of the request's region, when its cloud has them.
    var securityGroups: SecurityGroupRegistry? {
        guard let cloud = current.cloud as? any SecurityGroupProvider else { return nil }
        return SecurityGroupRegistry(cloud: cloud, servers: current.cloud, region: current.region.rawValue, applications: applications.store, now: now)
    }

    /// `/{region}/security/…`: security groups of AWS regions (the local cloud has none).
    func addRegionalRoutes(to table: RouteTable) {
        let regionParameter = EndpointDoc.Parameter.path("region", "A region, e.g. us-east-1")

        table.page("/{region}/security/list", doc: EndpointDoc(
            summary: "List security groups with their ingress rules (AWS regions; empty in local ones)", tag: "Security group",
            parameters: [regionParameter, .query("account", "The account, where the region name alone is ambiguous")],
            answers: [.ok("[SecurityGroup]"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let all = try await securityGroups?.cloud.securityGroups().map(SecurityGroupJSON.init) ?? []
            if input.wantsJSON { return try Responses.json(all) }
            return page(input, title: "Security Groups", section: .security, region: region,
                        body: SecurityPages.list(all, region: region, local: securityGroups == nil))
        }

        table.page("/{region}/security/show/{name}", doc: EndpointDoc(
            summary: "Show a security group and its ingress rules", tag: "Security group",
            parameters: [regionParameter, .path("name", "The security group's name, e.g. shop-web")],
            answers: [.ok("SecurityGroup"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let group = SecurityGroupJSON(try await securityRegistry(input).show(input.path("name")))
            if input.wantsJSON { return try Responses.json(group) }
            return page(input, title: group.groupName, section: .security, region: region,
                        body: SecurityPages.show(group, region: region, csrf: Console.csrfField(input)))
        }

        table.htmlOnly("/{region}/security/create") { input in
            let region = try regionName(input)
            _ = try securityRegistry(input)
            return page(input, title: "Create security group", section: .security, region: region,
                        body: SecurityPages.form(region: region, values: input.fields, errors: [], csrf: Console.csrfField(input)))
        }

        table.post("/{region}/security/save", doc: EndpointDoc(
            summary: "Create a security group with no ingress in the region's default VPC", tag: "Security group",
            parameters: [regionParameter, .field("name", "app[-anything], e.g. shop-web; the application must be registered", required: true),
                         .field("description", "What it is for (default: Security group of APP)")],
            answers: [EndpointDoc.Answer(status: 201, description: "Created; X-Task-Id names the task", schema: "SecurityGroup"),
                      .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            let registry = try securityRegistry(input)
            try authorizeSecurityGroup(input, input.fields["name"] ?? "")
            do {
                let (record, task) = try await registry.create(input.fields, user: input.userName)
                input.audit.task(task.id.rawValue)
                let path = "/\(region)/security/show/\(record.groupName)"
                if input.wantsJSON {
                    return try Responses.json(SecurityGroupJSON(record), status: .created, headers: taskHeaders(task.id, location: path + ".json"))
                }
                return Responses.seeOther(path)
            } catch let error as ConsoleError where !input.wantsJSON && error.code == .invalidRequest {
                input.audit.refused(error.message)
                return page(input, title: "Create security group", section: .security, region: region,
                            body: SecurityPages.form(region: region, values: input.fields, errors: error.fieldErrors, csrf: Console.csrfField(input)),
                            status: .badRequest)
            }
        }

        table.post("/{region}/security/update", doc: EndpointDoc(
            summary: "Open (authorize) or close (revoke) ingress rules of a security group", tag: "Security group",
            parameters: [regionParameter, .field("name", "The security group", required: true),
                         .field("authorize", "Rules to open: protocol:ports:source, e.g. tcp:7001:10.0.0.0/8 or tcp:8080-8081:shop-web", type: "array"),
                         .field("revoke", "Rules to close, written the same way", type: "array")],
            answers: [.ok("SecurityGroup"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            let registry = try securityRegistry(input)
            let name = input.fields["name"] ?? ""
            try authorizeSecurityGroup(input, name)
            do {
                let (record, tasks) = try await registry.update(input.fields, user: input.userName)
                for task in tasks { input.audit.task(task.id.rawValue) }
                if input.wantsJSON {
                    return try Responses.json(SecurityGroupJSON(record), headers: tasks.last.map { taskHeaders($0.id, location: nil) } ?? [:])
                }
                return Responses.seeOther("/\(region)/security/show/\(record.groupName)")
            } catch let error as ConsoleError where !input.wantsJSON && error.code == .invalidRequest {
                input.audit.refused(error.message)
                let group = SecurityGroupJSON(try await registry.show(name))
                return page(input, title: group.groupName, section: .security, region: region,
                            body: SecurityPages.show(group, region: region, csrf: Console.csrfField(input), errors: error.fieldErrors), status: .badRequest)
            }
        }

        table.post("/{region}/security/delete", doc: EndpointDoc(
            summary: "Delete a security group; AWS refuses while instances or rules of other groups use it", tag: "Security group",
            parameters: [regionParameter, .field("name", "The security group", required: true)],
            answers: [.ok("Deleted"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            let registry = try securityRegistry(input)
            guard let name = input.fields["name"], !name.isEmpty else { throw ConsoleError.invalid("name", "is required: the security group") }
            try authorizeSecurityGroup(input, name)
            try input.requireConfirmation(of: name, "security group")
            let task = try await registry.delete(name, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(DeletedJSON(name: name, taskId: task.id.rawValue), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/security/list")
        }
    }

    /// The registry of an AWS region, else 404 saying why.
    func securityRegistry(_ input: RouteInput) throws -> SecurityGroupRegistry {
        let region = try regionName(input)
        guard let registry = securityGroups else {
            throw ConsoleError.notFound("Security groups exist only in AWS regions; '\(region)' is the local cloud's, whose instances listen on 127.0.0.1")
        }
        return registry
    }

    /// Checks that the caller may change `name`'s group (its application's deployers).
    func authorizeSecurityGroup(_ input: RouteInput, _ name: String) throws {
        let app = SecurityGroupRegistry.appName(of: name)
        input.audit.object("securityGroup", name, application: app)
        try input.require(.read)
        if let appName = try? AppName(validating: app) { try input.require(.deployApplication(appName)) } else { try input.require(.admin) }
    }
}
