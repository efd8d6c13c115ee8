import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `/token/…`: API tokens for scripts and the CLI.
    func addTokenRoutes(to table: RouteTable) {
        table.page("/token/list", doc: EndpointDoc(
            summary: "List API tokens without their secrets: an admin's lists everyone's (or ?user=), others their own", tag: "Token",
            parameters: [.query("user", "Only this user's tokens (admin)")],
            answers: [.ok("[Token]"), .unauthorized, .forbidden]
        )) { input in
            guard let principal = input.principal else { throw ConsoleError(.unauthenticated, "Sign in to see tokens") }
            var owner: UserName? = principal.user.name
            if let text = input.fields["user"], !text.isEmpty {
                owner = try UserName(validating: text, field: "user")
            } else if principal.user.roles.contains(.admin) {
                owner = nil
            }
            if let owner { try input.require(.ownAccount(owner)) }
            let tokens = try await authenticator.store.tokens(of: owner)
            if input.wantsJSON { return try Responses.json(tokens) }
            return page(input, title: "Tokens", section: nil,
                        body: TokenPages.list(tokens, me: principal.user.name, csrf: Console.csrfField(input), created: nil, error: nil, now: now()))
        }

        table.post("/token/create", doc: EndpointDoc(
            summary: "Create an API token; the answer shows its secret this once", tag: "Token",
            parameters: [.field("name", "A name for the token, e.g. ci", required: true),
                         .field("user", "Whose rights it carries (default: yourself; others need admin)"),
                         .field("expiresInDays", "Lifetime in days, 1 to 3650 (default 30)", type: "integer")],
            answers: [EndpointDoc.Answer(status: 201, description: "Created; the secret is in 'token'", schema: "CreatedToken"),
                      .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            guard let principal = input.principal else { throw ConsoleError(.unauthenticated, "Sign in to create tokens") }
            let owner = try input.fields["user"].flatMap { $0.isEmpty ? nil : $0 }.map { try UserName(validating: $0, field: "user") }
                ?? principal.user.name
            try input.require(.ownAccount(owner))
            input.audit.object("token", "\(owner)/\(input.fields["name"] ?? "")")
            do {
                let created = try await users.createToken(name: input.fields["name"] ?? "", for: owner,
                                                          days: try UserRegistry.days(input.fields["expiresInDays"]))
                if input.wantsJSON { return try Responses.json(created, status: .created) }
                let tokens = try await authenticator.store.tokens(of: principal.user.roles.contains(.admin) ? nil : principal.user.name)
                return page(input, title: "Tokens", section: nil,
                            body: TokenPages.list(tokens, me: principal.user.name, csrf: Console.csrfField(input), created: created, error: nil, now: now()),
                            status: .created)
            } catch let error as ConsoleError where !input.wantsJSON && error.code != .internal {
                input.audit.refused(error.message)
                let tokens = try await authenticator.store.tokens(of: principal.user.roles.contains(.admin) ? nil : principal.user.name)
                return page(input, title: "Tokens", section: nil,
                            body: TokenPages.list(tokens, me: principal.user.name, csrf: Console.csrfField(input), created: nil, error: error.message, now: now()),
                            status: error.code.status)
            }
        }

        table.post("/token/revoke", doc: EndpointDoc(
            summary: "Revoke an API token; it stops working at once", tag: "Token",
            parameters: [.field("name", "The token's name", required: true),
                         .field("user", "Whose token (default: yourself; others need admin)")],
            answers: [.ok("Token"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            guard let principal = input.principal else { throw ConsoleError(.unauthenticated, "Sign in to revoke tokens") }
            guard let name = input.fields["name"], !name.isEmpty else { throw ConsoleError.invalid("name", "is required: the token to revoke") }
            let owner = try input.fields["user"].flatMap { $0.isEmpty ? nil : $0 }.map { try UserName(validating: $0, field: "user") }
                ?? principal.user.name
            try input.require(.ownAccount(owner))
            input.audit.object("token", "\(owner)/\(name)")
            try input.requireConfirmation(of: name, "token", action: "revocation")
            try await authenticator.store.revokeToken(named: name, of: owner, at: now())
            if input.wantsJSON {
                let revoked = try await authenticator.store.tokens(of: owner).first { $0.name == name && $0.revokedTime != nil }
                return try Responses.json(revoked)
            }
            return Responses.seeOther("/token/list")
        }
    }
}
