import AsgardAPI
import AsgardCore
import AsgardServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Tasks, naming and server endpoints")
struct TaskAndServerAPITests {
    @Test func tasksArePagedFilteredAndShownWithTheirLog() async throws {
        try await withConsole { client, _ in
            for i in 1...5 {
                _ = try await client.postForm("/application/save", [("name", "app\(i)"), ("owner", "o"), ("email", "o@example.com")])
            }
            let page = try await client.get("/task/list.json?objectType=application&limit=2&offset=1")
            #expect(page.headers[HTTPField.Name("X-Total-Count")!] == "5")
            #expect(try page.decode([TaskJSON].self).map(\.objectId) == ["app4", "app3"])
            #expect(try page.decode([TaskJSON].self).allSatisfy { $0.log == nil })
            let one = try await client.get("/task/list.json?objectType=application&objectId=app2").decode([TaskJSON].self)
            #expect(one.map(\.id) == [TaskID(3)])
            #expect(try await client.get("/task/list.json?status=failed").decode([TaskJSON].self).isEmpty)

            let show = try await client.get("/task/show/3.json").decode(TaskJSON.self)
            #expect(show.operation == "Create application 'app2'")
            #expect(show.log?.map(\.message) == ["Creating application 'app2' owned by o <o@example.com>, type Web Service",
                                                 "Created application 'app2'"])
            #expect(show.url == "/task/show/3.json")

            for (query, field) in [("status=done", "status"), ("limit=0", "limit"), ("limit=abc", "limit"),
                                   ("offset=-1", "offset"), ("objectType=planet", "objectType")] {
                let bad = try await client.get("/task/list.json?\(query)")
                #expect(bad.status == .badRequest, "\(query)")
                #expect(try bad.error().field == field, "\(query)")
            }
            for id in ["999", "abc", "0"] {
                let missing = try await client.get("/task/show/\(id).json")
                #expect(missing.status == .notFound)
                #expect(try missing.error().message == "Task '\(id)' not found; see /task/list")
            }
            let html = try await client.get("/task/list?limit=2", browser: true)
            #expect(html.text.contains("id=\"older\""))
            let taskPage = try await client.get("/task/show/2", browser: true)
            #expect(taskPage.text.contains("id=\"task-log\""))
            #expect(taskPage.text.contains("Created application &#39;app1&#39;"))
        }
    }

    @Test func generateNameBuildsNamesAndEnvironmentVariables() async throws {
        try await withConsole { client, _ in
            let built = try await client.get("/autoScaling/generateName.json?appName=cass&stack=&detail=my-stuff&countries=northamerica&devPhase=prod&zoneVar=useast1a")
            #expect(built.status == .ok)
            let name = try built.decode(GeneratedNameJSON.self)
            #expect(name.groupName == "cass--my-stuff-c0northamerica-d0prod-z0useast1a")
            #expect(name.envVars["CLOUD_APP"] == "cass")
            #expect(name.envVars["CLOUD_CLUSTER"] == "cass--my-stuff-c0northamerica-d0prod-z0useast1a")
            #expect(name.envVars["CLOUD_DEV_PHASE"] == "prod")
            #expect(name.envVars["CLOUD_ZONE"] == "useast1a")

            for (query, field) in [("stack=prod", "appName"), ("appName=my-app", "appName"), ("appName=a&stack=v001", "stack"),
                                   ("appName=a&detail=x%25y", "detail"), ("appName=a&devPhase=pro-d", "devPhase"),
                                   ("appName=a&zoneVar=us.east", "zoneVar")] {
                let bad = try await client.get("/autoScaling/generateName.json?\(query)")
                #expect(bad.status == .badRequest, "\(query)")
                #expect(try bad.error().field == field, "\(query)")
                #expect(try bad.error().message.hasPrefix("\(field): "), "\(query)")
            }
        }
    }

    @Test func healthVersionAccountsAndUnknownPaths() async throws {
        try await withConsole { client, _ in
            let health = try await client.get("/healthcheck")
            #expect(health.status == .ok)
            let version = try await client.get("/server/version.json").decode(ServerVersionJSON.self)
            #expect(version.name == "asgard")
            #expect(version.version == AsgardVersion.version)
            let accounts = try await client.get("/account/list.json").decode([AccountConfig].self)
            #expect(accounts == [.local])

            let missing = try await client.get("/no/such/page.json")
            #expect(missing.status == .notFound)
            #expect(try missing.error().code == "notFound")
            let missingPage = try await client.get("/no/such/page", browser: true)
            #expect(missingPage.status == .notFound)
            #expect(missingPage.text.contains("id=\"error-message\""))
            let wrongMethod = try await client.execute(uri: "/application/save", method: .get, headers: [.accept: "application/json"])
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(try wrongMethod.error().message == "/application/save changes state: send it as POST")
        }
    }

    @Test func everyAPIRouteIsInTheOpenAPIDocument() async throws {
        try await withConsole { client, console in
            let response = try await client.get("/openapi.json")
            let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            let document = try #require(object)
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let apiRoutes = console.routes.filter(\.isAPI)
            #expect(apiRoutes.count >= 15)
            for route in apiRoutes {
                // The documented form of a router path: `:id` as `{id}`, and the JSON form of pages.
                var documented = route.path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                    segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
                }.joined(separator: "/")
                if route.method == "GET", !documented.hasSuffix(".json"), paths[documented] == nil {
                    documented += ".json"
                }
                let operation = paths[documented]?[route.method.lowercased()]
                #expect(operation != nil, "\(route.method) \(route.path) is not documented")
            }
            // And nothing is documented that the router does not answer.
            let routerPaths = Set(apiRoutes.map(\.path))
            for path in paths.keys {
                let hb = path.replacingOccurrences(of: ".json", with: "")
                    .split(separator: "/", omittingEmptySubsequences: false)
                    .map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : $0 }.joined(separator: "/")
                #expect(routerPaths.contains(hb) || routerPaths.contains(hb + ".json") || routerPaths.contains(path),
                        "\(path) is documented but not routed")
            }
        }
    }
}
