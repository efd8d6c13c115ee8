import AsgardAPI
import AsgardCore
import AsgardServer
import AsgardStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// What a hostile or careless client sends is refused with a message and changes nothing; the
/// console's guards hold.
@Suite("Trust")
struct TrustTests {
    @Test func jsonNumbersAreNumbersNotBooleans() async throws {
        try await withConsole { client, _ in
            let oneDay = try await client.postJSON("/token/create", #"{"name": "one-day", "expiresInDays": 1}"#)
            #expect(oneDay.status == .created, "\(oneDay.text)")
            let expires = try #require(try oneDay.decode(ExpiringToken.self).expiresTime)
            #expect(abs(expires.timeIntervalSinceNow - 86_400) < 600)
            let boolean = try await client.postJSON("/token/create", #"{"name": "boolean", "expiresInDays": true}"#)
            #expect(boolean.status == .badRequest)
            #expect(try boolean.error().message.contains("'true'"))
        }
    }

    @Test func aMalformedImageIdIsToldApartFromAMissingOne() async throws {
        try await withConsole { client, _ in
            let malformed = try await client.postJSON("/local/deployment/start", #"{"cluster": "shop-prod", "imageId": "img-…", "strategy": "redBlack", "desired": 1}"#)
            #expect(malformed.status == .badRequest)
            #expect(try malformed.error().message.contains("'img-…' is not an image id"))
            let missing = try await client.postJSON("/local/deployment/start", #"{"cluster": "shop-prod", "strategy": "redBlack", "desired": 1}"#)
            #expect(try missing.error().message.hasPrefix("imageId: is required"))
        }
    }

    struct ExpiringToken: Decodable {
        var expiresTime: Date?
    }

    @Test(arguments: [".", "..", "..."])
    func dotsAreNotApplicationNames(_ name: String) async throws {
        try await withConsole { client, _ in
            let answer = try await client.postJSON("/application/save", #"{"name": "\#(name)", "owner": "o", "email": "o@example.com"}"#)
            #expect(answer.status == .badRequest)
            #expect(try answer.error().message.contains("needs a letter or digit"))
            #expect(try await client.get("/application/list.json").decode([AppRecord].self).isEmpty)
        }
    }

    @Test func longURLsAreRefusedBeforeAnythingReadsThem() async throws {
        try await withConsole { client, _ in
            let before = try await client.get("/audit/list.json").decode([AuditRecord].self).count
            let long = "/application/list.json?q=" + String(repeating: "a", count: 60_000)
            for credentials in [Credentials.none, .admin] {
                let answer = try await client.get(long, as: credentials)
                #expect(answer.status == .uriTooLong)
                #expect(try answer.error().message.contains("at most 8192"))
            }
            let post = try await client.postForm("/application/save?pad=" + String(repeating: "b", count: 9000), [("name", "x")], as: .none)
            #expect(post.status == .uriTooLong)
            #expect(try await client.get("/audit/list.json").decode([AuditRecord].self).count == before)
        }
    }

    @Test func hugeValuesAreEchoedAndAuditedOnlyInPart() async throws {
        try await withConsole { client, _ in
            let huge = String(repeating: "x", count: 100_000)
            let answer = try await client.postForm("/application/save", [("name", "shop"), ("owner", "o"), ("email", huge)])
            #expect(answer.status == .badRequest)
            #expect(answer.body.readableBytes < 4 * 1024)
            #expect(answer.text.contains("[cut: 100"))
            let login = try await client.postForm("/auth/login", [("name", huge), ("password", "x")], as: .none)
            #expect(login.status == .unauthorized)
            let audit = try await client.get("/audit/list.json?limit=5").decode([AuditRecord].self)
            #expect(audit.count >= 2)
            for entry in audit {
                #expect((entry.objectId ?? "").utf8.count <= InputLimits.echoBytes + 60)
                #expect(entry.message.utf8.count <= InputLimits.echoBytes + 60)
            }
        }
    }

    @Test func anonymousRequestsAreRateLimitedPerAddress() async throws {
        // The budget refills with the console's clock, which stands still here: however slow the
        // machine, the requests below come at once as far as the budget can tell.
        let frozen = Date()
        try await withConsole(now: { frozen }) { client, _ in
            var statuses: [Int] = []
            for _ in 0..<130 { statuses.append(Int(try await client.get("/application/list.json", as: .none).status.code)) }
            #expect(statuses.prefix(40).allSatisfy { $0 == 401 })
            #expect(statuses.suffix(20).allSatisfy { $0 == 429 })
            let limited = try await client.get("/application/list.json", as: .none)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(try limited.error().message.contains("without signing in"))
            // Invalid credentials spend the same budget; valid ones do not.
            #expect(try await client.get("/application/list.json", as: .token("asgard_not_a_token")).status == .tooManyRequests)
            #expect(try await client.get("/application/list.json").status == .ok)
            // A monitor polling the health check is never turned away.
            #expect(try await client.get("/healthcheck", as: .none).status == .ok)
            let audited = try await client.get("/audit/list.json?user=anonymous&limit=1000").decode([AuditRecord].self)
            #expect(audited.count <= 60, "every refused request was audited: \(audited.count)")
        }
    }

    @Test func theSignInThrottleCountsTheCanonicalNameAndCannotBeRaced() async throws {
        try await withConsole { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "bob", "password": "bob's long password"}"#)
            for variant in ["bob", " bob", "BOB ", "\tbob", "Bob"] {
                let wrong = try await client.postForm("/auth/login", [("name", variant), ("password", "guess")], as: .none)
                #expect(wrong.status == .unauthorized)
            }
            let padded = try await client.postForm("/auth/login", [("name", "  bob  "), ("password", "bob's long password")], as: .none)
            #expect(padded.status == .tooManyRequests)

            _ = try await client.postJSON("/user/save", #"{"name": "carol", "password": "carol's long password"}"#)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask { Int(try await client.postForm("/auth/login", [("name", "carol"), ("password", "guess")], as: .none).status.code) }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count <= 5, "\(statuses.sorted())")
            #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 })
        }
    }

    @Test(arguments: [("/task/list", "/task/list"), ("/\t/evil.example:8080/x", "/"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
                      ("https://evil.example/", "/"), ("/auth/logout", "/"), ("/a/ /b", "/"), ("/x?next=//y", "/")])
    func signInGoesToSameSitePathsOnly(_ next: String, _ expected: String) async throws {
        try await withConsole { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "ann", "password": "a long enough password"}"#)
            let login = try await client.postForm("/auth/login", [("name", "ann"), ("password", "a long enough password"), ("next", next)],
                                                  browser: true, as: .none)
            #expect(login.status == .seeOther)
            #expect(login.headers[.location] == expected)
            let page = try await client.get("/auth/login?next=" + formEncode(next), browser: true, as: .none)
            #expect(page.text.contains("name=\"next\" value=\"\(expected)\""))
        }
    }

    @Test func aNewPasswordEndsTheUsersOtherSessions() async throws {
        try await withConsole { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "ann", "password": "a long enough password", "roles": ["admin"]}"#)
            func signIn() async throws -> Credentials {
                let login = try await client.postForm("/auth/login", [("name", "ann"), ("password", "a long enough password")], browser: true, as: .none)
                return .cookie(String(try #require(login.headers[.setCookie]).split(separator: ";")[0]))
            }
            let laptop = try await signIn(), phone = try await signIn()
            let form = try await client.get("/user/list", browser: true, as: laptop)
            let csrf = try #require(form.text.range(of: "name=\"_csrf\" value=\"").map { String(form.text[$0.upperBound...].prefix { $0 != "\"" }) })
            let changed = try await client.postForm("/user/save", [("name", "ann"), ("password", "another long password"), ("roles", "admin"),
                                                                   ("_csrf", csrf)], browser: true, as: laptop)
            #expect(changed.status == .seeOther)
            #expect(try await client.get("/application/list.json", as: laptop).status == .ok, "the session that changed it stays")
            #expect(try await client.get("/application/list.json", as: phone).status == .unauthorized, "the other session ends")
            // An admin's change ends them all.
            _ = try await client.postJSON("/user/save", #"{"name": "ann", "password": "a third long password"}"#)
            #expect(try await client.get("/application/list.json", as: laptop).status == .unauthorized)
        }
    }

    @Test func signInsThatAskForATokenEachGetOne() async throws {
        try await withConsole { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "ann", "password": "a long enough password"}"#)
            var names: [String] = []
            for _ in 0..<3 {
                let login = try await client.postJSON("/auth/login", #"{"name": "ann", "password": "a long enough password", "issueToken": true, "tokenName": "cli-host-1800000000"}"#,
                                                      as: .none)
                #expect(login.status == .ok, "\(login.text)")
                names.append(try login.decode(IssuedLogin.self).token.name)
            }
            #expect(names == ["cli-host-1800000000", "cli-host-1800000000-2", "cli-host-1800000000-3"])
        }
    }

    struct IssuedLogin: Decodable {
        struct Token: Decodable { var name: String }
        var token: Token
    }

    @Test func theAPIDocumentPublishesTheRanges() async throws {
        try await withConsole { client, _ in
            let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try await client.get("/openapi.json").body)) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: Any])
            let save = try #require((paths["/{region}/scalingPolicy/save"] as? [String: Any])?["post"] as? [String: Any])
            let body = try #require((((save["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any])
            let adjustment = try #require((body["properties"] as? [String: Any])?["scalingAdjustment"] as? [String: Any])
            #expect(adjustment["minimum"] as? Int == InputLimits.scalingAdjustment.lowerBound)
            #expect(adjustment["maximum"] as? Int == InputLimits.scalingAdjustment.upperBound)
            let target = try #require((body["properties"] as? [String: Any])?["targetValue"] as? [String: Any])
            #expect(target["minimum"] as? Double == InputLimits.targetValue.lowerBound)
        }
    }

    @Test func storedObjectsOutOfRangeAreEndedOrLeftAloneNeverRun() async throws {
        let dir = NSTemporaryDirectory() + "asgard-stored-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let id: TaskID
        do {
            let store = try SQLiteStore(path: dir + "/asgard.sqlite")
            let now = Date()
            _ = try await store.createServerGroup(ServerGroupRecord(autoScalingGroupName: "huge-v000", imageId: ImageID(rawValue: "img-00000000"),
                                                                    minSize: 0, desiredCapacity: 1_000_000, maxSize: 1_000_000, healthCheckType: .ec2,
                                                                    healthCheckGracePeriod: 0, terminationPolicies: [.default], suspendedProcesses: [],
                                                                    loadBalancerNames: [], createdTime: now),
                                                  task: TaskDraft(operation: "By hand", objectType: .serverGroup, objectId: "huge-v000", user: "test",
                                                                  status: .succeeded, log: []))
            let input = #"{"cluster":"shop-prod","imageId":"img-00000000","strategy":"custom","capacity":{"min":1,"desired":1,"max":1},"steps":[{"type":"createGroup"},{"type":"judgment","minutes":9223372036854775807},{"type":"disableGroup"}]}"#
            let task = try await store.createExclusiveTask(TaskDraft(operation: "Deploy", objectType: .cluster, objectId: "shop-prod", user: "test",
                                                                     region: "local", status: .running, log: [], input: input),
                                                           checkpoint: #"{"step":1,"previousGroups":[],"finished":{}}"#)
            id = task.id
        }
        try await withConsole(configure: { $0.dataDir = dir }) { client, _ in
            var ended: TaskJSON?
            for _ in 0..<200 where ended?.status.isFinished != true {
                ended = try await client.get("/task/show/\(id.rawValue).json").decode(TaskJSON.self)
                if ended?.status.isFinished != true { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(ended?.status == .failed)
            #expect(ended?.log?.last?.message.contains("breaks the rules") == true, "\(ended?.log?.map(\.message) ?? [])")
            // The cluster is free again, and the group of a million instances launched none.
            #expect(try await client.get("/local/instance/list.json").decode([InstanceRecord].self).isEmpty)
        }
    }

    @Test func anInvalidStoredDefinitionIsShownAsInvalidAndCanBeDeleted() async throws {
        try await withConsole { client, console in
            let json = #"{"autoScalingGroupName":"shop-v000","policyName":"huge","policyType":"SimpleScaling","adjustmentType":"ChangeInCapacity","scalingAdjustment":9223372036854775807}"#
            _ = try await console.store.saveScalingObject(.policy, group: "shop-v000", name: "huge", json: json, task: TaskDraft(
                operation: "An older version", objectType: .serverGroup, objectId: "shop-v000", user: "test", status: .succeeded, log: []))
            let list = try await client.get("/local/scalingPolicy/list.json")
            #expect(list.status == .ok)
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(buffer: list.body)) as? [[String: Any]])
            #expect((listed.first?["invalid"] as? String)?.contains("scalingAdjustment") == true)
            let page = try await client.get("/local/scalingPolicy/show/huge?autoScalingGroupName=shop-v000", browser: true)
            #expect(page.text.contains("id=\"definition-invalid\""))
        }
    }
}
