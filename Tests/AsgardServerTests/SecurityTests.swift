import AsgardAPI
import AsgardCore
import AsgardServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import LocalCloud
import Testing

/// The people of the permission matrix.
enum Actor: String, CaseIterable, Sendable {
    case anonymous, viewer, otherDeployer, shopDeployer, shopOwner, admin
}

/// Sets up `shop` and `other`, a user per actor with a token named after it, and `victim` with a
/// token `t`; answers each actor's credentials.
func seedPeople(_ client: any TestClientProtocol) async throws -> [Actor: Credentials] {
    for app in ["shop", "other"] {
        let created = try await client.postForm("/application/save", [("name", app), ("owner", "o"), ("email", "o@example.com")])
        #expect(created.status == .created)
    }
    let people: [(Actor, String)] = [(.viewer, #"{"name": "viewer", "roles": ["viewer"]}"#),
                                     (.otherDeployer, #"{"name": "od", "roles": [], "applications": {"other": "deployer"}}"#),
                                     (.shopDeployer, #"{"name": "sd", "roles": [], "applications": {"shop": "deployer"}}"#),
                                     (.shopOwner, #"{"name": "so", "roles": [], "applications": {"shop": "owner"}}"#)]
    var credentials: [Actor: Credentials] = [.anonymous: .none, .admin: .admin]
    for (actor, json) in people {
        let saved = try await client.postJSON("/user/save", json)
        #expect(saved.status == .created, "\(saved.text)")
        let user = try saved.decode(UserRecord.self).name.rawValue
        let token = try await client.postForm("/token/create", [("name", "t"), ("user", user)])
        credentials[actor] = .token(try token.decode(CreatedTokenJSON.self).token)
    }
    let image = try await client.postJSON("/local/image/register", #"{"name": "other", "version": "1.0", "command": ["sleep", "1"]}"#)
    #expect(image.status == .created)
    _ = try await client.postJSON("/user/save", #"{"name": "victim", "roles": ["viewer"]}"#)
    _ = try await client.postForm("/token/create", [("name", "t"), ("user", "victim")])
    return credentials
}

struct CreatedTokenJSON: Decodable {
    var name: String
    var user: String
    var token: String
}

/// What the admin sees of everything a mutation could change.
func snapshot(_ client: any TestClientProtocol) async throws -> String {
    var parts: [String] = []
    for path in ["/application/list.json", "/user/list.json", "/token/list.json", "/local/image/list.json", "/task/list.json?limit=1000"] {
        parts.append(try await client.get(path).text)
    }
    return parts.joined(separator: "\n")
}

@Suite("Security")
struct SecurityTests {
    struct MatrixRow: Sendable, CustomTestStringConvertible {
        var path: String
        var fields: [(String, String)]
        /// The status each actor gets; actors not listed get 403.
        var allowed: [Actor: Int]
        var testDescription: String { path }
    }

    static let matrix: [MatrixRow] = [
        MatrixRow(path: "/application/save", fields: [("name", "fresh"), ("owner", "o"), ("email", "o@example.com")], allowed: [.admin: 201]),
        MatrixRow(path: "/application/update", fields: [("name", "shop"), ("owner", "new owner")],
                  allowed: [.shopDeployer: 200, .shopOwner: 200, .admin: 200]),
        MatrixRow(path: "/application/delete", fields: [("name", "shop")], allowed: [.shopOwner: 200, .admin: 200]),
        MatrixRow(path: "/user/save", fields: [("name", "newcomer"), ("roles", "viewer")], allowed: [.admin: 201]),
        MatrixRow(path: "/user/delete", fields: [("name", "victim")], allowed: [.admin: 200]),
        MatrixRow(path: "/token/create", fields: [("name", "extra"), ("user", "victim")], allowed: [.admin: 201]),
        MatrixRow(path: "/token/revoke", fields: [("name", "t"), ("user", "victim")], allowed: [.admin: 200]),
        MatrixRow(path: "/local/image/register", fields: [("name", "shop"), ("version", "9"), ("command", "sleep")], allowed: [.admin: 201]),
        MatrixRow(path: "/local/image/delete", fields: [("imageId", "{image}")], allowed: [.admin: 200]),
        MatrixRow(path: "/local/loadBalancer/save", fields: [("name", "shop-matrix"), ("listenerPort", "{port}")],
                  allowed: [.shopDeployer: 201, .shopOwner: 201, .admin: 201]),
        // Using another application's objects needs the right on that application too.
        MatrixRow(path: "/local/autoScaling/save", fields: [("appName", "shop"), ("imageId", "{image}"), ("minSize", "0"), ("desiredCapacity", "0")],
                  allowed: [.admin: 201]),
        MatrixRow(path: "/local/autoScaling/save", fields: [("appName", "shop"), ("selectedLoadBalancers", "other-web")],
                  allowed: [.admin: 400]),
        MatrixRow(path: "/local/deployment/start", fields: [("cluster", "shop-prod"), ("imageId", "{image}"), ("strategy", "redBlack"), ("desired", "0")],
                  allowed: [.admin: 202]),
        MatrixRow(path: "/local/cluster/createNextGroup", fields: [("name", "shop-prod"), ("selectedLoadBalancers", "other-web")],
                  allowed: [.admin: 404]),
    ]

    @Test(arguments: matrix)
    func everyMutationAnswersEachRoleAsItShould(_ row: MatrixRow) async throws {
        for actor in Actor.allCases {
            try await withConsole { client, _ in
                let credentials = try await seedPeople(client)
                let before = try await snapshot(client)
                let imageId = try await client.get("/local/image/list.json").decode([ImageRecord].self).first?.imageId.rawValue ?? ""
                let port = String(try PortProbe.freePort())
                let fields = row.fields.map { ($0.0, $0.1 == "{image}" ? imageId : $0.1 == "{port}" ? port : $0.1) }
                let answer = try await client.postForm(row.path, fields, as: credentials[actor]!)
                let expected = actor == .anonymous ? 401 : (row.allowed[actor] ?? 403)
                #expect(Int(answer.status.code) == expected, "\(actor) \(row.path): \(answer.text)")
                if expected >= 400 {
                    #expect(try answer.error().message.isEmpty == false)
                    #expect(try await snapshot(client) == before, "\(actor) \(row.path) was refused but changed something")
                } else {
                    #expect(try await snapshot(client) != before)
                }
            }
        }
    }

    @Test func everyoneMayCreateAndRevokeTheirOwnTokens() async throws {
        try await withConsole { client, _ in
            let people = try await seedPeople(client)
            let created = try await client.postForm("/token/create", [("name", "mine")], as: people[.viewer]!)
            #expect(created.status == .created)
            let token = try created.decode(CreatedTokenJSON.self)
            #expect(token.user == "viewer")
            #expect(token.token.hasPrefix("asgard_"))
            let listed = try await client.get("/token/list.json", as: people[.viewer]!).text
            #expect(listed.contains("\"mine\""))
            #expect(!listed.contains(token.token))
            #expect(!listed.contains("\"victim\""))
            let revoked = try await client.postForm("/token/revoke", [("name", "mine")], as: people[.viewer]!)
            #expect(revoked.status == .ok)
        }
    }

    @Test func aRevokedTokenStopsWorkingAtOnce() async throws {
        try await withConsole { client, _ in
            let created = try await client.postForm("/token/create", [("name", "ci")]).decode(CreatedTokenJSON.self)
            let ci = Credentials.token(created.token)
            #expect(try await client.get("/application/list.json", as: ci).status == .ok)
            #expect(try await client.postForm("/token/revoke", [("name", "ci")]).status == .ok)
            let after = try await client.get("/application/list.json", as: ci)
            #expect(after.status == .unauthorized)
            #expect(try after.error().message.hasPrefix("The API token is not valid"))
            #expect(after.headers[.wwwAuthenticate] == "Bearer realm=\"asgard\"")
            let again = try await client.postForm("/token/revoke", [("name", "ci")])
            #expect(again.status == .notFound)
        }
    }

    @Test func anExpiredTokenIsRefused() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        try await withConsole(now: { clock.withLock { $0 } }) { client, _ in
            let created = try await client.postForm("/token/create", [("name", "short"), ("expiresInDays", "1")]).decode(CreatedTokenJSON.self)
            #expect(try await client.get("/application/list.json", as: .token(created.token)).status == .ok)
            clock.withLock { $0 = $0.addingTimeInterval(86_401) }
            #expect(try await client.get("/application/list.json", as: .token(created.token)).status == .unauthorized)
            for (days, field) in [("0", "expiresInDays"), ("3651", "expiresInDays"), ("soon", "expiresInDays")] {
                let bad = try await client.postForm("/token/create", [("name", "x\(days)"), ("expiresInDays", days)])
                #expect(bad.status == .badRequest)
                #expect(try bad.error().field == field)
            }
        }
    }

    @Test func browserSessionsNeedTheCSRFTokenAndExpireWhenIdle() async throws {
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        try await withConsole(now: { clock.withLock { $0 } }) { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "ann", "password": "a long enough password", "roles": ["admin"]}"#)
            let login = try await client.postForm("/auth/login", [("name", "ann"), ("password", "a long enough password"), ("next", "/task/list")],
                                                  browser: true, as: .none)
            #expect(login.status == .seeOther)
            #expect(login.headers[.location] == "/task/list")
            let signIn = try await client.get("/audit/list.json?user=ann").decode([AuditRecord].self)
            #expect(signIn.first?.action == "POST /auth/login")
            #expect(signIn.first?.outcome == .succeeded)
            let setCookie = try #require(login.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            let cookie = Credentials.cookie(String(setCookie.split(separator: ";")[0]))

            let form = try await client.get("/application/create", browser: true, as: cookie)
            #expect(form.status == .ok)
            let csrf = try #require(form.text.range(of: "name=\"_csrf\" value=\"").map { range in
                String(form.text[range.upperBound...].prefix { $0 != "\"" })
            })
            let before = try await snapshot(client)
            let withoutToken = try await client.postForm("/application/save", [("name", "viaform"), ("owner", "o"), ("email", "o@example.com")],
                                                         browser: true, as: cookie)
            #expect(withoutToken.status == .forbidden)
            let wrongToken = try await client.postForm("/application/save", [("name", "viaform"), ("owner", "o"), ("email", "o@example.com"),
                                                                              ("_csrf", "forged")], browser: true, as: cookie)
            #expect(wrongToken.status == .forbidden)
            #expect(try await snapshot(client) == before)
            let withToken = try await client.postForm("/application/save", [("name", "viaform"), ("owner", "o"), ("email", "o@example.com"),
                                                                             ("_csrf", csrf)], browser: true, as: cookie)
            #expect(withToken.status == .seeOther)
            let tokenPage = try await client.postForm("/token/create", [("name", "browser"), ("_csrf", csrf)], browser: true, as: cookie)
            #expect(tokenPage.status == .created)
            #expect(tokenPage.text.contains("id=\"token-secret\">asgard_"))

            // Used within the idle limit, the session lives on; unused for longer, it ends.
            clock.withLock { $0 = $0.addingTimeInterval(29 * 60) }
            #expect(try await client.get("/application/list", browser: true, as: cookie).status == .ok)
            clock.withLock { $0 = $0.addingTimeInterval(31 * 60) }
            let expired = try await client.get("/application/list", browser: true, as: cookie)
            #expect(expired.status == .seeOther)
            let location = try #require(expired.headers[.location])
            #expect(location.hasPrefix("/auth/login?next=/application/list&reason="))
            #expect(location.contains("expired"))
            let page = try await client.get(location, browser: true, as: .none)
            #expect(page.text.contains("id=\"login-reason\""))
            #expect(try await client.get("/application/list.json", as: cookie).status == .unauthorized)
        }
    }

    @Test func failedSignInsAreThrottledAndAudited() async throws {
        try await withConsole { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "bob", "password": "bob's long password"}"#)
            for _ in 0..<5 {
                let wrong = try await client.postForm("/auth/login", [("name", "bob"), ("password", "guess")], as: .none)
                #expect(wrong.status == .unauthorized)
                #expect(try wrong.error().message == "Wrong user name or password")
            }
            let throttled = try await client.postForm("/auth/login", [("name", "bob"), ("password", "bob's long password")], as: .none)
            #expect(throttled.status == .tooManyRequests)
            #expect(try throttled.error().message.hasPrefix("Too many failed sign-ins for 'bob' from 127.0.0.1; try again in"))
            let audit = try await client.get("/audit/list.json?user=anonymous").decode([AuditRecord].self)
            #expect(audit.filter { $0.action == "POST /auth/login" && $0.outcome == .unauthenticated }.count == 5)
            #expect(audit.allSatisfy { $0.address == "127.0.0.1" })
        }
    }

    @Test func theAuditLogRecordsWhoDidWhatAndIsForAdminsOnly() async throws {
        try await withConsole { client, _ in
            let people = try await seedPeople(client)
            _ = try await client.postForm("/application/update", [("name", "shop"), ("owner", "x")], as: people[.shopOwner]!)
            _ = try await client.postForm("/application/update", [("name", "other"), ("owner", "x")], as: people[.shopOwner]!)
            _ = try await client.get("/user/list.json", as: people[.viewer]!)

            let shop = try await client.get("/audit/list.json?application=shop").decode([AuditRecord].self)
            let update = try #require(shop.first { $0.action == "POST /application/update" })
            #expect(update.user == "so")
            #expect(update.outcome == .succeeded)
            #expect(update.taskId != nil)
            let other = try await client.get("/audit/list.json?application=other&user=so").decode([AuditRecord].self)
            #expect(other.map(\.outcome) == [.forbidden])
            #expect(other.first?.message == "User 'so' lacks the owner or deployer role on application 'other' and may not do this")
            let viewer = try await client.get("/audit/list.json?user=viewer").decode([AuditRecord].self)
            #expect(viewer.first?.action == "GET /user/list.json")
            #expect(viewer.first?.outcome == .forbidden)

            let page = try await client.get("/audit/list.json?limit=2")
            #expect(page.headers[HTTPField.Name("X-Total-Count")!].flatMap(Int.init) ?? 0 > 10)
            #expect(try await client.get("/audit/list.json?since=yesterday").status == .badRequest)
            let future = try await client.get("/audit/list.json?since=2100-01-01T00:00:00Z").decode([AuditRecord].self)
            #expect(future.isEmpty)
            #expect(try await client.get("/audit/list.json", as: people[.shopOwner]!).status == .forbidden)
            let html = try await client.get("/audit/list", browser: true)
            #expect(html.text.contains("id=\"audit\""))
        }
    }

    @Test func nothingIsOpenWithoutSigningInUnlessAnonymousReadsAreOn() async throws {
        try await withConsole { client, _ in
            #expect(try await client.get("/application/list.json", as: .none).status == .unauthorized)
            let page = try await client.get("/task/list?limit=5", browser: true, as: .none)
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/auth/login?next=/task/list%3Flimit%3D5")
            for open in ["/healthcheck", "/openapi.json", "/server/version.json", "/static/asgard.css", "/auth/login"] {
                #expect(try await client.get(open, as: .none).status == .ok, "\(open)")
            }
            let bogus = try await client.get("/application/list.json", as: .token("asgard_not-a-real-token"))
            #expect(bogus.status == .unauthorized)
        }
        try await withConsole(configure: { $0.anonymousRead = true }) { client, _ in
            #expect(try await client.get("/application/list.json", as: .none).status == .ok)
            let write = try await client.postForm("/application/save", [("name", "x"), ("owner", "o"), ("email", "o@example.com")], as: .none)
            #expect(write.status == .unauthorized)
            #expect(try await client.get("/user/list.json", as: .none).status == .unauthorized)
        }
    }

    @Test func firstStartWithoutATokenWritesAOneTimePasswordForAdmin() async throws {
        try await withConsole(configure: { $0.adminToken = nil }) { client, console in
            let message = try #require(console.firstStartMessage)
            #expect(message.hasPrefix("Created user 'admin' with the one-time password "))
            let file = try #require(message.range(of: "(also in ").map { String(message[$0.upperBound...].prefix { $0 != ")" }) })
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(message.contains(password))
            let login = try await client.postForm("/auth/login", [("name", "admin"), ("password", password), ("issueToken", "true")], as: .none)
            #expect(login.status == .ok)
            #expect(login.text.contains("\"token\" : \"asgard_"))
            // Once the admin has a password of their own, the one-time password's file goes.
            let token = try #require(login.text.range(of: "\"token\" : \"").map { String(login.text[$0.upperBound...].prefix { $0 != "\"" }) })
            let changed = try await client.postJSON("/user/save", #"{"name": "admin", "password": "a password of my own"}"#, as: .token(token))
            #expect(changed.status == .ok, "\(changed.text)")
            #expect(!FileManager.default.fileExists(atPath: file))
        }
    }

    @Test func theLastAdminCannotBeRemoved() async throws {
        try await withConsole { client, _ in
            let delete = try await client.postForm("/user/delete", [("name", "admin")])
            #expect(delete.status == .conflict)
            let demote = try await client.postJSON("/user/save", #"{"name": "admin", "roles": ["viewer"]}"#)
            #expect(demote.status == .conflict)
            let badRole = try await client.postJSON("/user/save", #"{"name": "x", "roles": ["superuser"]}"#)
            #expect(badRole.status == .badRequest)
            #expect(try badRole.error().field == "roles")
            let shortPassword = try await client.postJSON("/user/save", #"{"name": "x", "password": "short"}"#)
            #expect(try shortPassword.error().field == "password")
        }
    }

    @Test func changingAPasswordInTheUserFormKeepsTheRoles() async throws {
        try await withConsole { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "bob", "roles": ["admin"], "applications": {"shop": "owner"}}"#)
            let form = try await client.postForm("/user/save", [("name", "bob"), ("password", "a brand new password"), ("roles", ""),
                                                                ("applications", "")], browser: true)
            #expect(form.status == .seeOther)
            let bob = try await client.get("/user/show/bob.json").decode(UserRecord.self)
            #expect(bob.roles == [.admin])
            #expect(bob.applications == ["shop": .owner])
            let fresh = try await client.postForm("/user/save", [("name", "carol"), ("roles", "")], browser: true)
            #expect(fresh.status == .seeOther)
            #expect(try await client.get("/user/show/carol.json").decode(UserRecord.self).roles == [.viewer])
        }
    }

    @Test func pagesCarrySecurityHeaders() async throws {
        try await withConsole { client, _ in
            let page = try await client.get("/application/list", browser: true)
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(page.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(!page.text.contains("<script"))
        }
    }
}
