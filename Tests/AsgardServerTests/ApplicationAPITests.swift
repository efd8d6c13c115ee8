import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Applications over the JSON API")
struct ApplicationAPITests {
    @Test func jsonClientsRegisterListShowUpdateAndDelete() async throws {
        try await withConsole { client, _ in
            let created = try await client.postForm("/application/save", [
                ("name", "Shop"), ("owner", "Shop team"), ("email", "shop@example.com"), ("description", "The web shop"),
            ])
            #expect(created.status == .created)
            #expect(created.headers[HTTPField.Name("X-Task-Id")!] == "2")  // task 1 created the admin
            #expect(created.headers[.location] == "/application/show/shop.json")
            let app = try created.decode(AppRecord.self)
            #expect(app.name.rawValue == "shop")
            #expect(app.type == .webService)

            let list = try await client.get("/application/list.json").decode([AppRecord].self)
            #expect(list.map(\.name.rawValue) == ["shop"])
            var acceptJSON = HTTPFields()
            acceptJSON[.accept] = "application/json"
            Credentials.admin.apply(to: &acceptJSON)
            let byAccept = try await client.execute(uri: "/application/show/shop", method: .get, headers: acceptJSON)
            #expect(try byAccept.decode(AppRecord.self).owner == "Shop team")
            #expect(try await client.get("/application/show/SHOP.json").decode(AppRecord.self).name.rawValue == "shop")

            let updated = try await client.postJSON("/application/update", #"{"name": "shop", "owner": "Checkout", "type": "Web Application"}"#)
            #expect(updated.status == .ok)
            let changed = try updated.decode(AppRecord.self)
            #expect(changed.owner == "Checkout")
            #expect(changed.email == "shop@example.com")
            #expect(changed.type == .webApplication)

            let deleted = try await client.postForm("/application/delete", [("name", "shop")])
            #expect(deleted.status == .ok)
            #expect(try deleted.decode(DeletedJSON.self) == DeletedJSON(name: "shop", taskId: 4))
            let gone = try await client.get("/application/show/shop.json")
            #expect(gone.status == .notFound)
            #expect(try gone.error().message.hasPrefix("Application 'shop' not found"))

            let tasks = try await client.get("/task/list.json?objectType=application").decode([TaskJSON].self)
            #expect(tasks.map(\.operation) == ["Delete application 'shop'", "Update application 'shop'", "Create application 'shop'"])
            #expect(tasks.allSatisfy { $0.status == .succeeded && $0.objectType == .application && $0.objectId == "shop" })
        }
    }

    @Test func badInputIsRefusedWithAMessageAndChangesNothing() async throws {
        try await withConsole { client, _ in
            _ = try await client.postForm("/application/save", [("name", "shop"), ("owner", "o"), ("email", "o@example.com")])

            let badName = try await client.postForm("/application/save", [("name", "my-shop"), ("owner", "o"), ("email", "o@example.com")])
            #expect(badName.status == .badRequest)
            let badNameError = try badName.error()
            #expect(badNameError.code == "invalidRequest")
            #expect(badNameError.field == "name")
            #expect(badNameError.message == "name: at most 28 characters of a-z, 0-9, '.' and '_'")

            let several = try await client.postJSON("/application/save", #"{"name": "ok", "email": "nope"}"#)
            #expect(several.status == .badRequest)
            #expect(try several.error().message == "owner: is required: the team or person responsible; email: 'nope' is not an email address like team@example.com")

            let taken = try await client.postForm("/application/save", [("name", "SHOP"), ("owner", "x"), ("email", "x@example.com")])
            #expect(taken.status == .conflict)
            #expect(try taken.error().message.contains("Application 'shop' already exists"))

            let notJSON = try await client.postJSON("/application/save", "{name:")
            #expect(notJSON.status == .badRequest)
            #expect(try notJSON.error().message.contains("not valid JSON"))

            let notObject = try await client.postJSON("/application/save", "[1, 2]")
            #expect(notObject.status == .badRequest)

            let unknown = try await client.postForm("/application/update", [("name", "ghost"), ("owner", "x")])
            #expect(unknown.status == .notFound)
            let badUpdate = try await client.postForm("/application/update", [("name", "shop"), ("email", "nope")])
            #expect(badUpdate.status == .badRequest)
            let noName = try await client.postForm("/application/delete", [])
            #expect(noName.status == .badRequest)
            #expect(try noName.error().field == "name")

            let apps = try await client.get("/application/list.json").decode([AppRecord].self)
            #expect(apps.count == 1)
            #expect(apps[0].email == "o@example.com")
            #expect(try await client.get("/task/list.json?objectType=application").decode([TaskJSON].self).count == 1)
        }
    }

    @Test func jsonBodiesAcceptNumbersAndBooleansAsText() async throws {
        try await withConsole { client, _ in
            let created = try await client.postJSON("/application/save", #"{"name": "app1", "owner": 42, "email": "a@b.co", "description": true}"#)
            #expect(created.status == .created)
            let app = try created.decode(AppRecord.self)
            #expect(app.owner == "42")
            #expect(app.description == "true")

            let list = try await client.postJSON("/application/save", #"{"name": ["a1", "a2"], "owner": "o", "email": "a@b.co"}"#)
            #expect(list.status == .badRequest)
            #expect(try list.error().message == "name: must be a single value, not a list")
            let object = try await client.postJSON("/application/save", #"{"name": "a3", "owner": {"team": "x"}, "email": "a@b.co"}"#)
            #expect(object.status == .badRequest)
            #expect(try object.error().field == "owner")
            let repeated = try await client.postForm("/application/update", [("name", "app1"), ("owner", "x"), ("owner", "y")])
            #expect(try repeated.error().message == "owner: must be a single value, not a list")
            #expect(try await client.get("/application/list.json").decode([AppRecord].self).map(\.name.rawValue) == ["app1"])
        }
    }
}
