import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `/user/…`: admins manage users and their roles.
    func addUserRoutes(to table: RouteTable) {
        table.page("/user/list", doc: EndpointDoc(
            summary: "List users (admin)", tag: "User", answers: [.ok("[User]"), .unauthorized, .forbidden]
        )) { input in
            try input.require(.admin)
            let all = try await authenticator.store.users()
            if input.wantsJSON { return try Responses.json(all) }
            return page(input, title: "Users", section: nil, body: UserPages.list(all, csrf: Console.csrfField(input)))
        }

        table.page("/user/show/{name}", doc: EndpointDoc(
            summary: "Show a user (admin, or the user)", tag: "User",
            parameters: [.path("name", "The user")], answers: [.ok("User"), .unauthorized, .forbidden, .notFound]
        )) { input in
            let name = input.path("name")
            if let userName = try? UserName(validating: name) { try input.require(.ownAccount(userName)) } else { try input.require(.admin) }
            let user = try await users.show(name)
            if input.wantsJSON { return try Responses.json(user) }
            let tokens = try await authenticator.store.tokens(of: user.name)
            return page(input, title: "User \(user.name)", section: nil,
                        body: UserPages.show(user, tokens: tokens, csrf: Console.csrfField(input), now: now()))
        }

        table.post("/user/save", doc: EndpointDoc(
            summary: "Create a user or change their roles and password (admin)", tag: "User",
            parameters: [.field("name", "The login name", required: true),
                         .field("password", "At least 12 characters; absent keeps the current one"),
                         .field("roles", "Global roles: admin, viewer (repeat the field, or a JSON array)", type: "array"),
                         .field("applications", "Application roles: a JSON object {\"shop\": \"deployer\"}, or 'shop:deployer, cart:owner'",
                                type: "object")],
            answers: [EndpointDoc.Answer(status: 201, description: "Created", schema: "User"), .ok("User", "Updated"),
                      .badRequest, .unauthorized, .forbidden, .conflict]
        )) { input in
            try input.require(.admin)
            let draft = try userDraft(input)
            input.audit.object("user", draft.name ?? "")
            do {
                let (user, created, task) = try await users.save(draft, by: input.userName, keepingSession: input.principal?.session?.idHash)
                input.audit.task(task.id.rawValue)
                // The first start's one-time password is of no use once the admin has another.
                if user.name.rawValue == "admin", draft.password != nil {
                    try? FileManager.default.removeItem(atPath: (space.path as NSString).appendingPathComponent(AdminBootstrap.passwordFile))
                }
                if input.wantsJSON {
                    return try Responses.json(user, status: created ? .created : .ok, headers: taskHeaders(task.id, location: nil))
                }
                return Responses.seeOther("/user/show/\(HTML.pathSegment(user.name.rawValue))")
            } catch let error as ConsoleError where !input.wantsJSON && error.code != .internal {
                input.audit.refused(error.message)
                let all = try await authenticator.store.users()
                return page(input, title: "Users", section: nil,
                            body: UserPages.list(all, csrf: Console.csrfField(input), error: error.message), status: error.code.status)
            }
        }

        table.post("/user/delete", doc: EndpointDoc(
            summary: "Delete a user with their tokens and sessions (admin)", tag: "User",
            parameters: [.field("name", "The user", required: true)],
            answers: [.ok("Deleted"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            try input.require(.admin)
            guard let name = input.fields["name"], !name.isEmpty else { throw ConsoleError.invalid("name", "is required: the user to delete") }
            input.audit.object("user", name)
            let task = try await users.delete(name, by: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON {
                return try Responses.json(DeletedJSON(name: task.objectId, taskId: task.id.rawValue), headers: taskHeaders(task.id, location: nil))
            }
            return Responses.seeOther("/user/list")
        }
    }

    private func userDraft(_ input: RouteInput) throws -> UserDraft {
        var applications: [String: String]?
        if input.request.headers[.contentType]?.hasPrefix("application/json") == true,
           let object = try? JSONSerialization.jsonObject(with: input.body) as? [String: Any],
           let apps = object["applications"] {
            guard let dictionary = apps as? [String: Any] else {
                throw ConsoleError.invalid("applications", "must be an object such as {\"shop\": \"deployer\"}")
            }
            applications = dictionary.mapValues { "\($0)" }
        } else if let text = input.fields["applications"], !text.trimmingCharacters(in: .whitespaces).isEmpty {
            do { applications = try UserDraft.parseApplicationRoles(text) } catch { throw ConsoleError.invalid(error.field, error.message) }
        }
        // In a form an empty field keeps the current roles; a JSON body's [] removes them all.
        let isJSON = input.request.headers[.contentType]?.hasPrefix("application/json") == true
        var roles: [String]? = input.fields.has("roles") ? input.fields.all("roles").flatMap { $0.split(separator: ",").map(String.init) } : nil
        if !isJSON, roles?.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) == true { roles = nil }
        if roles == nil, input.fields.has("roles[]") { roles = input.fields.all("roles[]") }
        let password = input.fields["password"].flatMap { $0.isEmpty ? nil : $0 }
        return UserDraft(name: input.fields["name"], password: password, roles: roles, applications: applications)
    }
}

extension EndpointDoc.Answer {
    static let unauthorized = EndpointDoc.Answer(status: 401, description: "Not signed in", schema: "Error")
    static let forbidden = EndpointDoc.Answer(status: 403, description: "The user lacks the role", schema: "Error")
}
