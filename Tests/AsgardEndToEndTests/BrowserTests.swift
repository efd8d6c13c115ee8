import Foundation
import Testing

/// Drives the real pages in headless Chromium through Selenium: the pattern for every UI test.
@Suite("The web UI in a real browser", .serialized)
struct BrowserTests {
    @Test func createAnApplicationThroughTheFormAndFindItInTheList() async throws {
        let scratch = try Scratch("browser")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        // A person with the owner role on the application to be, who signs in with a password.
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "browser"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "browserapp:owner")])
        #expect(user.status == 201, "\(user.text)")
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/create_application.py").path
        let result = try run("/usr/bin/env", ["python3", script, server.url, "browser", "correct horse battery"])
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS create application through the form"))
        // What the browser did is in the store, as the API sees it.
        let app = try await HTTP.get(server.url + "/application/show/browserapp.json")
        #expect(app.status == 200)
        #expect(app.text.contains("\"owner\" : \"Browser team\""))
    }
}
