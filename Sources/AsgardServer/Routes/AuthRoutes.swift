import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import Hummingbird

/// The answer of `POST /auth/login` to JSON clients and of `GET /auth/whoami.json`.
struct WhoAmIJSON: Codable, Sendable {
    var user: UserName
    var roles: [GlobalRole]
    var applications: [String: AppRole]
    /// `session` or `token`.
    var via: String
    /// The token created at login, when asked for with `issueToken`.
    var token: CreatedToken?
    /// The name of the token the request came with, for `whoami`.
    var tokenName: String?
}

extension Console {
    /// `/auth/login`, `/auth/logout` and `/auth/whoami.json`.
    func addAuthRoutes(to table: RouteTable) {
        table.htmlOnly("/auth/login", access: .open) { input in
            page(input, title: "Sign in", section: nil,
                 body: AuthPages.login(next: input.fields["next"], reason: input.fields["reason"], name: nil, error: nil))
        }

        table.post("/auth/login", access: .open, doc: EndpointDoc(
            summary: "Sign in with a password: browsers get a session cookie; JSON clients may ask for an API token", tag: "Auth",
            parameters: [.field("name", "The user", required: true), .field("password", "The password", required: true),
                         .field("issueToken", "true to create an API token for scripts and the CLI", type: "boolean"),
                         .field("tokenName", "The new token's name (default cli)"),
                         .field("expiresInDays", "The new token's lifetime (default 30)", type: "integer"),
                         .field("next", "Where a browser goes after signing in")],
            answers: [.ok("WhoAmI"), EndpointDoc.Answer(status: 401, description: "Wrong name or password", schema: "Error"),
                      EndpointDoc.Answer(status: 429, description: "Too many failed attempts", schema: "Error")]
        )) { input in
            let name = input.fields["name"] ?? ""
            input.audit.object("user", name)
            let user: UserRecord
            do {
                user = try await authenticator.checkPassword(name: name, password: input.fields["password"] ?? "", address: input.address)
            } catch let error as ConsoleError where !input.wantsJSON {
                input.audit.refused(error.message)
                return page(input, title: "Sign in", section: nil,
                            body: AuthPages.login(next: input.fields["next"], reason: nil, name: name, error: error.message),
                            status: error.code.status)
            }
            input.audit.actor(user.name.rawValue)
            if input.wantsJSON {
                var token: CreatedToken?
                if input.fields["issueToken"] == "true" {
                    token = try await users.createToken(name: input.fields["tokenName"] ?? "cli", for: user.name,
                                                        days: try UserRegistry.days(input.fields["expiresInDays"]), unique: true)
                }
                return try Responses.json(WhoAmIJSON(user: user.name, roles: user.roles, applications: user.applications,
                                                     via: token == nil ? "password" : "token", token: token))
            }
            let (cookie, _) = try await authenticator.startSession(for: user.name)
            var response = Responses.seeOther(AuthPages.safeNext(input.fields["next"]))
            response.setCookie(Cookie(name: Authenticator.sessionCookie, value: cookie, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }

        table.post("/auth/logout", doc: EndpointDoc(
            summary: "End the browser session", tag: "Auth", answers: [.ok("Object")]
        )) { input in
            if let session = input.principal?.session {
                try await authenticator.store.deleteSession(idHash: session.idHash)
            }
            var response = input.wantsJSON ? try Responses.json(["loggedOut": true]) : Responses.seeOther("/auth/login")
            response.setCookie(Cookie(name: Authenticator.sessionCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }

        table.get("/auth/whoami.json", doc: EndpointDoc(
            summary: "Who the request's credentials belong to", tag: "Auth",
            answers: [.ok("WhoAmI"), EndpointDoc.Answer(status: 401, description: "Not signed in", schema: "Error")]
        )) { input in
            guard let principal = input.principal else {
                throw ConsoleError(.unauthenticated, "Not signed in")
            }
            return try Responses.json(WhoAmIJSON(user: principal.user.name, roles: principal.user.roles,
                                                 applications: principal.user.applications,
                                                 via: principal.session == nil ? "token" : "session", tokenName: principal.tokenName))
        }
    }
}
