import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Web pages")
struct PageTests {
    @Test func browserFormsRedirectToTheNewObject() async throws {
        try await withConsole { client, _ in
            let form = try await client.get("/application/create", browser: true)
            #expect(form.status == .ok)
            #expect(form.text.contains("<form class=\"edit\" method=\"post\" action=\"/application/save\""))

            let saved = try await client.postForm("/application/save", [("name", "Shop"), ("owner", "team"), ("email", "t@example.com")], browser: true)
            #expect(saved.status == .seeOther)
            #expect(saved.headers[.location] == "/application/show/shop")

            let show = try await client.get("/application/show/shop", browser: true)
            #expect(show.headers[.contentType] == "text/html; charset=utf-8")
            #expect(show.text.contains("<span id=\"app-name\">shop</span>"))
            #expect(show.text.contains("Create application &#39;shop&#39;"))

            let list = try await client.get("/application/list", browser: true)
            #expect(list.text.contains("<a href=\"/application/show/shop\">shop</a>"))
            // Asgard's navigation, in order.
            let nav = ["App", "Cluster", "Instance", "Image", "Load Balancer", "Security", "Task"].map { ">\($0)</a>" }
            let positions = nav.compactMap { list.text.range(of: $0)?.lowerBound }
            #expect(positions.count == nav.count)
            #expect(positions == positions.sorted())

            // In the browser the name must be typed again.
            let unconfirmed = try await client.postForm("/application/delete", [("name", "shop"), ("confirm", "shoe")], browser: true)
            #expect(unconfirmed.status == .badRequest)
            #expect(unconfirmed.text.contains("Type the application&#39;s name &#39;shop&#39; to confirm"))
            #expect(unconfirmed.text.contains("<details open>"))
            let deleted = try await client.postForm("/application/delete", [("name", "shop"), ("confirm", "shop")], browser: true)
            #expect(deleted.status == .seeOther)
            #expect(deleted.headers[.location] == "/task/show/3")
        }
    }

    @Test func invalidFormsComeBackWithMessagesNextToTheirFields() async throws {
        try await withConsole { client, _ in
            let page = try await client.postForm("/application/save", [("name", "bad name"), ("owner", ""), ("email", "x@example.com"),
                                                                     ("description", "kept <b>text</b>")], browser: true)
            #expect(page.status == .badRequest)
            #expect(page.text.contains("<span class=\"field-error\" id=\"name-error\">at most 28 characters"))
            #expect(page.text.contains("id=\"owner-error\""))
            #expect(!page.text.contains("id=\"email-error\""))
            // What was typed stays in the form, escaped.
            #expect(page.text.contains("value=\"bad name\""))
            #expect(page.text.contains("kept &lt;b&gt;text&lt;/b&gt;</textarea>"))
            #expect(try await client.get("/application/list.json").decode([AppRecord].self).isEmpty)

            var fromList = HTTPFields()
            fromList[.accept] = browserAccept
            fromList[.referer] = "http://127.0.0.1/application/list"
            Credentials.admin.apply(to: &fromList)
            let missing = try await client.execute(uri: "/application/show/ghost", method: .get, headers: fromList)
            #expect(missing.status == .notFound)
            #expect(missing.text.contains("<a id=\"back\" href=\"/application/list\">"))
            #expect(missing.text.contains("Application &#39;ghost&#39; not found"))
        }
    }

    @Test func valuesFromUsersAreEscapedEverywhere() async throws {
        try await withConsole { client, _ in
            _ = try await client.postForm("/application/save", [("name", "xss"), ("owner", "<script>alert(1)</script>"),
                                                                ("email", "a@b.co"), ("description", "\"><img src=x>")])
            for path in ["/application/list", "/application/show/xss", "/application/edit/xss", "/task/show/2"] {
                let page = try await client.get(path, browser: true)
                #expect(page.status == .ok, "\(path)")
                #expect(!page.text.contains("<script>alert"), "\(path)")
                #expect(!page.text.contains("<img src=x>"), "\(path)")
            }
        }
    }

    @Test func regionalListsStartEmpty() async throws {
        try await withConsole { client, _ in
            let json = try await client.get("/local/security/list.json")
            #expect(json.status == .ok)
            #expect(try json.decode([String].self).isEmpty)
            let page = try await client.get("/local/security/list", browser: true)
            #expect(page.text.contains("id=\"security-empty\""))
            let balancers = try await client.get("/local/loadBalancer/list", browser: true)
            #expect(balancers.text.contains("No load balancers yet."))
            let unknown = try await client.get("/mars/cluster/list.json")
            #expect(unknown.status == .notFound)
            #expect(try unknown.error().message == "Region 'mars' not found; known regions: local (account local)")
        }
    }

    @Test func theRegionSwitcherRemembersTheChoice() async throws {
        try await withConsole { client, _ in
            let switched = try await client.get("/region/switch?to=local%2Flocal&return=%2Flocal%2Fcluster%2Flist", browser: true)
            #expect(switched.status == .seeOther)
            #expect(switched.headers[.location] == "/local/cluster/list")
            #expect(switched.headers[.setCookie]?.hasPrefix("asgard_region=local") == true)
            let offsite = try await client.get("/region/switch?to=local&return=%2F%2Fevil.example", browser: true)
            #expect(offsite.headers[.location] == "/")
            let bad = try await client.get("/region/switch?to=mars", browser: true)
            #expect(bad.status == .notFound)
        }
    }

    @Test func theHomePageSaysWhatIsHappeningAndDeploymentsFilter() async throws {
        try await withConsole { client, _ in
            let home = try await client.get("/", browser: true)
            #expect(home.status == .ok)
            #expect(home.text.contains("id=\"deploying-now\""))
            #expect(home.text.contains("Nothing is deploying."))
            #expect(home.text.contains("href=\"/deployment/list\""), "deployments are in the navigation")
            let list = try await client.get("/deployment/list?status=running&strategy=canary&region=local", browser: true)
            #expect(list.status == .ok)
            #expect(list.text.contains("<option value=\"canary\" selected>"))
            for (query, field) in [("status=done", "status"), ("strategy=blueGreen", "strategy"), ("region=mars", "region")] {
                let bad = try await client.get("/deployment/list.json?" + query)
                #expect(bad.status == .badRequest)
                #expect(try bad.error().message.hasPrefix("\(field): "))
            }
        }
    }

    @Test func theSearchBoxFindsByPartOfANameAndGoesStraightToAnExactOne() async throws {
        try await withConsole { client, _ in
            for name in ["shop", "shopping", "billing"] {
                _ = try await client.postJSON("/application/save", #"{"name": "\#(name)", "owner": "team", "email": "t@example.com"}"#)
            }
            let page = try await client.get("/application/list", browser: true)
            #expect(page.text.contains("<form method=\"get\" action=\"/local/search\" id=\"search\" role=\"search\">"), "every page has the search box")
            let found = try await client.get("/local/search.json?q=SHOP")
            #expect(found.status == .ok)
            let hits = try APIJSON.decoder().decode([SearchHitJSON].self, from: found.body)
            #expect(hits.map(\.name) == ["shop", "shopping"] && hits.allSatisfy { $0.kind == "application" })
            let exact = try await client.get("/local/search?q=shop", browser: true)
            #expect(exact.status == .seeOther && exact.headers[.location] == "/application/show/shop")
            let several = try await client.get("/local/search?q=ing", browser: true)
            #expect(several.status == .ok && several.text.contains("2 matches") && several.text.contains("href=\"/application/show/billing\""))
            let hostile = try await client.get("/local/search?q=%3Cscript%3E", browser: true)
            #expect(hostile.text.contains("Search: &lt;script&gt;") && hostile.text.contains("0 matches"))
            for bad in ["", "%20%20", String(repeating: "a", count: 201)] {
                let refused = try await client.get("/local/search.json?q=" + bad)
                #expect(refused.status == .badRequest)
                #expect(try refused.error().message.hasPrefix("q: give 1 to 200 characters"))
            }
        }
    }

    @Test func aChangeSaysWhatItDidAndErrorsSpeakPlainly() async throws {
        try await withConsole { client, _ in
            _ = try await client.postJSON("/user/save", #"{"name": "ann", "password": "a long enough password", "roles": ["admin"]}"#)
            let login = try await client.postForm("/auth/login", [("name", "ann"), ("password", "a long enough password")], browser: true, as: .none)
            let session = String(try #require(login.headers[.setCookie]).split(separator: ";")[0])
            let form = try await client.get("/application/create", browser: true, as: .cookie(session))
            let csrf = try #require(form.text.range(of: "name=\"_csrf\" value=\"").map { String(form.text[$0.upperBound...].prefix { $0 != "\"" }) })
            let created = try await client.postForm("/application/save", [("name", "shop"), ("owner", "o"), ("email", "o@example.com"), ("_csrf", csrf)],
                                                    browser: true, as: .cookie(session))
            #expect(created.status == .seeOther)
            let flash = try #require(created.headers[values: .setCookie].first { $0.hasPrefix("asgard_flash=") })
            let cookie = String(flash.split(separator: ";")[0])
            let next = try await client.get(try #require(created.headers[.location]), browser: true, as: .cookie(session + "; " + cookie))
            #expect(next.text.contains("id=\"flash\""))
            #expect(next.text.contains("Done: Create application &#39;shop&#39; (task") || next.text.contains("Done: Create application 'shop' (task"), "\(next.text.prefix(1500))")
            #expect(next.headers[values: .setCookie].contains { $0.hasPrefix("asgard_flash=;") }, "shown once")
            // A refused change reads as a sentence, without the API's field prefix.
            let refused = try await client.postForm("/local/instance/terminate", [("instanceId", "i-0123456789abcdef0"), ("_csrf", csrf)],
                                                    browser: true, as: .cookie(session))
            #expect(refused.status == .notFound)
            let missing = try await client.postForm("/application/delete", [("name", ""), ("_csrf", csrf)], browser: true, as: .cookie(session))
            #expect(missing.text.contains("Name is required"), "\(missing.text.prefix(1500))")
            // The 404 page greets whoever is signed in.
            let lost = try await client.get("/no/such/page", browser: true, as: .cookie(session))
            #expect(lost.status == .notFound)
            #expect(lost.text.contains("id=\"signed-in-as\">ann<"))
        }
    }

    @Test func theStylesheetIsServedLocally() async throws {
        try await withConsole { client, _ in
            let css = try await client.get("/static/asgard.css")
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.text.contains("table.list"))
            let page = try await client.get("/application/list", browser: true)
            #expect(!page.text.contains("http://") && !page.text.contains("https://"))
        }
    }
}
