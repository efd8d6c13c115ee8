import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Local images")
struct ImageAPITests {
    static let shell = "/bin/sh"

    @Test func adminsRegisterImagesThatOthersCanReadAndOwnersDelete() async throws {
        try await withConsole { client, _ in
            let people = try await seedPeople(client)
            let json = #"{"name": "Shop", "version": "1.0.0", "command": ["sleep", "3600"], "env": {"LOG_LEVEL": "info"}}"#
            let refused = try await client.postJSON("/local/image/register", json, as: people[.shopOwner]!)
            #expect(refused.status == .forbidden)
            #expect(try refused.error().message == "User 'so' lacks the admin role and may not do this")

            let created = try await client.postJSON("/local/image/register", json)
            #expect(created.status == .created, "\(created.text)")
            let image = try created.decode(ImageRecord.self)
            #expect(ImageID.isWellFormed(image.imageId.rawValue))
            #expect(image.name == "shop")
            #expect(image.command == ["sleep", "3600"])
            #expect(created.headers[.location] == "/local/image/show/\(image.imageId).json")

            let listed = try await client.get("/local/image/list.json", as: people[.viewer]!).decode([ImageRecord].self)
            #expect(listed.filter { $0.name == "shop" } == [image])
            let shown = try await client.get("/local/image/show/\(image.imageId).json", as: people[.viewer]!).decode(ImageRecord.self)
            #expect(shown == image)

            let again = try await client.postJSON("/local/image/register", json)
            #expect(again.status == .conflict)
            #expect(try again.error().message == "Image shop 1.0.0 exists already as \(image.imageId); register another version")

            // The application owns the image now: it cannot be deleted before the image.
            let appDelete = try await client.postForm("/application/delete", [("name", "shop")])
            #expect(appDelete.status == .conflict)
            #expect(try appDelete.error().message == "Application 'shop' still owns image shop 1.0.0 (\(image.imageId)); delete them first")

            #expect(try await client.postForm("/local/image/delete", [("imageId", image.imageId.rawValue)], as: people[.shopDeployer]!).status == .forbidden)
            let deleted = try await client.postForm("/local/image/delete", [("imageId", image.imageId.rawValue)], as: people[.shopOwner]!)
            #expect(deleted.status == .ok)
            #expect(try await client.get("/local/image/show/\(image.imageId).json").status == .notFound)
            #expect(try await client.postForm("/application/delete", [("name", "shop")]).status == .ok)
        }
    }

    @Test func badImagesAreRefusedNamingEachField() async throws {
        try await withConsole { client, _ in
            let cases: [(String, String, String)] = [
                (#"{"name": "my-app", "version": "1", "command": ["sleep"]}"#, "name", "the application the image packages"),
                (#"{"name": "app", "version": "1 0", "command": ["sleep"]}"#, "version", "'1 0' must be 1 to 64 characters"),
                (#"{"name": "app", "version": "1"}"#, "command", "is required"),
                (#"{"name": "app", "version": "1", "command": "sleep 5"}"#, "command", "must be a JSON array"),
                (#"{"name": "app", "version": "1", "command": ["sh -c 'rm -rf /'"]}"#, "command", "it is run without a shell"),
                (#"{"name": "app", "version": "1", "command": ["sh -c true"]}"#, "command", "is not on PATH"),
                (#"{"name": "app", "version": "1", "command": ["./run.sh"]}"#, "command", "must be an absolute path or a name on PATH"),
                (#"{"name": "app", "version": "1", "command": ["/nonexistent/program"]}"#, "command", "is not an executable file"),
                (#"{"name": "app", "version": "1", "command": ["/etc"]}"#, "command", "is not an executable file"),
                (#"{"name": "app", "version": "1", "command": ["sleep"], "env": {"PORT": "80"}}"#, "env", "'PORT' is set by the local cloud"),
                (#"{"name": "app", "version": "1", "command": ["sleep"], "env": {"CLOUD_APP": "x"}}"#, "env", "'CLOUD_APP' is set by the local cloud"),
                (#"{"name": "app", "version": "1", "command": ["sleep"], "env": {"1X": "x"}}"#, "env", "is not a variable name"),
                (#"{"name": "app", "version": "1", "command": ["sleep"], "env": ["A=1"]}"#, "env", "must be a JSON object"),
                (#"{"name": "app", "version": "1", "command": ["sleep"], "workingDirectory": "relative/dir"}"#, "workingDirectory", "must be the absolute path"),
                (#"{"name": "app", "version": "1", "command": ["sleep"], "workingDirectory": "/tmp/../etc"}"#, "workingDirectory", "must be the absolute path"),
            ]
            for (json, field, message) in cases {
                let answer = try await client.postJSON("/local/image/register", json)
                #expect(answer.status == .badRequest, "\(json)")
                let error = try answer.error()
                #expect(error.message.contains("\(field): ") && error.message.contains(message), "\(json): \(error.message)")
            }
            #expect(try await client.get("/local/image/list.json").decode([ImageRecord].self).isEmpty)
            #expect(try await client.get("/mars/image/list.json").status == .notFound)
            #expect(try await client.get("/local/image/show/img-zzzz.json").status == .notFound)
        }
    }

    @Test func theRegisterFormTakesOneArgumentPerLine() async throws {
        try await withConsole { client, _ in
            let page = try await client.postForm("/local/image/register", [("name", "web"), ("version", "2.0"),
                                                                           ("command", "/bin/sh\n-c\necho hi; sleep 1"),
                                                                           ("env", "A=1\nB=two words")], browser: true)
            #expect(page.status == .seeOther)
            let images = try await client.get("/local/image/list.json").decode([ImageRecord].self)
            #expect(images.first?.command == [ImageAPITests.shell, "-c", "echo hi; sleep 1"])
            #expect(images.first?.env == ["A": "1", "B": "two words"])
            let bad = try await client.postForm("/local/image/register", [("name", "web"), ("version", "3"), ("command", "")], browser: true)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("id=\"command-error\""))
            let list = try await client.get("/local/image/list", browser: true)
            #expect(list.text.contains("id=\"register-image\""))
            #expect(list.text.contains("<code>/bin/sh -c &#39;echo hi; sleep 1&#39;</code>"))
        }
    }
}
