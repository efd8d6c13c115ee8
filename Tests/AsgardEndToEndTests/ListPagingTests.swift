import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// Every list pages and filters, in JSON (with X-Total-Count) and on its page (with links to
/// the next and previous windows), through the real server and real instances.
@Suite("Lists page and filter", .serialized, .heavy)
struct ListPagingTests {
    func instances(_ server: ServerProcess, _ query: String) async throws -> (ids: [String], total: Int?, reply: HTTP.Reply) {
        let reply = try await HTTP.get(server.url + "/local/instance/list.json" + query)
        let listed = reply.status == 200 ? try APIJSON.decoder().decode([InstanceRecord].self, from: reply.body) : []
        return (listed.map(\.instanceId.rawValue), reply.headers["x-total-count"].flatMap(Int.init), reply)
    }

    @Test func instanceGroupAndClusterListsTakeLimitOffsetAndFilters() async throws {
        let scratch = try Scratch("list-paging")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let v1 = try await DeploymentTests().registerVersion(server, "1.0.0")
        _ = try await LoadBalancerTests().createBalancer(server)
        _ = try await LoadBalancerTests().createGroup(server, image: v1, desired: 2)
        _ = try await LoadBalancerTests().createGroup(server, image: v1, desired: 1, detail: "canary")
        let cart = try await HTTP.postForm(server.url + "/application/save", [("name", "cart"), ("owner", "team"), ("email", "cart@example.com")])
        #expect(cart.status == 201, "\(cart.text)")
        let cartGroup = try await HTTP.postForm(server.url + "/local/autoScaling/save", [("appName", "cart"), ("stack", "prod"), ("imageId", v1),
                                                                                        ("minSize", "0"), ("desiredCapacity", "1"), ("maxSize", "2")])
        #expect(cartGroup.status == 201, "\(cartGroup.text)")
        try await waitUntil("four instances in service") {
            let all = try APIJSON.decoder().decode([InstanceRecord].self, from: try await HTTP.get(server.url + "/local/instance/list.json").body)
            return all.count == 4 && all.allSatisfy { $0.lifecycleState == .inService }
        }

        // Windows: two pages of two, nothing past the end, the total every time.
        let first = try await instances(server, "?limit=2"), second = try await instances(server, "?limit=2&offset=2")
        #expect(first.ids.count == 2 && second.ids.count == 2 && Set(first.ids).isDisjoint(with: second.ids), "\(first.ids) \(second.ids)")
        #expect(first.total == 4 && second.total == 4)
        let beyond = try await instances(server, "?offset=10")
        #expect(beyond.ids.isEmpty && beyond.total == 4)
        // Filters, each alone and together, case ignored.
        #expect(try await instances(server, "?app=cart").total == 1)
        #expect(try await instances(server, "?cluster=shop-prod-canary").total == 1)
        #expect(try await instances(server, "?loadBalancer=shop-prod").total == 3)
        #expect(try await instances(server, "?state=inservice&app=shop").total == 3)
        let one = try #require(first.ids.first)
        let found = try await instances(server, "?q=\(one.uppercased())")
        #expect(found.ids == [one] && found.total == 1)
        // Server groups and clusters the same; one application's clusters only.
        let clusters = try await HTTP.get(server.url + "/local/cluster/list.json?app=shop")
        let shopClusters = try APIJSON.decoder().decode([ClusterJSON].self, from: clusters.body)
        #expect(shopClusters.map(\.cluster) == ["shop-prod", "shop-prod-canary"] && clusters.headers["x-total-count"] == "2")
        let enabled = try await HTTP.get(server.url + "/local/autoScaling/list.json?state=enabled&limit=1")
        #expect(try APIJSON.decoder().decode([ServerGroupJSON].self, from: enabled.body).count == 1 && enabled.headers["x-total-count"] == "2", "\(enabled.text)")
        // Bad values: refused, saying which and why.
        for (query, message) in [("?limit=0", "limit: '0' must be a whole number from 1 to 10000"), ("?offset=-1", "offset: '-1' must be a whole number from 0 to 1000000000"),
                                 ("?limit=abc", "limit: 'abc' must be a whole number"), ("?q=" + String(repeating: "x", count: 201), "q: is 201 characters long; at most 200")] {
            let refused = try await instances(server, query).reply
            #expect(refused.status == 400 && refused.text.contains(message), "\(query): \(refused.text)")
        }
        // The page: a window with the total and a link to the next, which keeps the filters.
        let page = try await HTTP.get(server.url + "/local/instance/list?limit=2&app=shop", accept: "text/html")
        #expect(page.text.contains("<span id=\"total-count\">3</span> instances match, showing 1–2"), "\(page.text)")
        #expect(page.text.contains("id=\"next-page\" href=\"/local/instance/list?app=shop&amp;limit=2&amp;offset=2\""), "\(page.text)")
        let next = try await HTTP.get(server.url + "/local/instance/list?app=shop&limit=2&offset=2", accept: "text/html")
        #expect(next.text.contains("showing 3–3") && next.text.contains("id=\"previous-page\""), "\(next.text)")
        // The CLI takes the same, and says when there is more.
        let asgard = CLI(server)
        let listed = try await asgard.nonBlocking("instance", "list", "shop", "--limit", "2")
        #expect(listed.status == 0 && listed.stdout.hasSuffix("Showing 1–2 of 3; --offset 2 for more\n"), "\(listed)")
        let clusterList = try await asgard.nonBlocking("cluster", "list", "--app", "cart")
        #expect(clusterList.status == 0 && clusterList.stdout.contains("cart-prod") && !clusterList.stdout.contains("shop-prod"), "\(clusterList)")
        let refused = try await asgard.nonBlocking("asg", "list", "--limit", "0")
        #expect(refused.status != 0 && refused.stderr.contains("'0' must be a whole number from 1 to 10000"), "\(refused)")

        // Every list answer has an ETag; the same data answers 304 to it, gzip when asked.
        let plain = try await HTTP.get(server.url + "/local/cluster/list.json")
        let etag = try #require(plain.headers["etag"])
        #expect(try await HTTP.get(server.url + "/local/cluster/list.json", headers: [("If-None-Match", "W/\(etag)")]).status == 304)
        #expect(try await HTTP.get(server.url + "/local/cluster/list.json?app=cart", headers: [("If-None-Match", etag)]).status == 200)
        let zipped = try await HTTP.get(server.url + "/local/cluster/list.json", headers: [("Accept-Encoding", "br, gzip;q=0.5")])
        #expect(zipped.headers["content-encoding"] == "gzip" && zipped.headers["vary"] == "Accept-Encoding")
        let notZipped = try await HTTP.get(server.url + "/local/cluster/list.json", headers: [("Accept-Encoding", "gzip;q=0")])
        #expect(notZipped.headers["content-encoding"] == nil)
        #expect(zipped.body == plain.body, "the test's HTTP client undoes the gzip")

        // One call for everything of an application: its clusters in every region.
        let app = try await HTTP.get(server.url + "/application/show/shop.json")
        let shown = try APIJSON.decoder().decode(ApplicationJSON.self, from: app.body)
        #expect(shown.app.name.rawValue == "shop" && shown.regions.first?.region == "local", "\(app.text.prefix(400))")
        #expect(shown.regions.first?.clusters.map(\.cluster) == ["shop-prod", "shop-prod-canary"])
        #expect(shown.regions.first?.clusters.first?.autoScalingGroups.first?.instances.count == 2)
        let appShown = try await asgard.nonBlocking("app", "show", "shop")
        #expect(appShown.status == 0 && appShown.stdout.contains("shop-prod-canary") && appShown.stdout.contains("REGION"), "\(appShown)")
        // The local cloud keeps no cache: its health detail says so, and a refresh has nothing to do.
        let health = try APIJSON.decoder().decode(HealthDetailJSON.self, from: try await HTTP.get(server.url + "/healthcheck?detail=true").body)
        #expect(health.status == "ok" && health.regions.map(\.region) == ["local"] && health.regions.first?.cached == false)
        #expect(try await HTTP.get(server.url + "/healthcheck?detail=yes").status == 400)
        let local = try await asgard.nonBlocking("refresh")
        #expect(local.status == 0 && local.stdout.contains("always current"), "\(local)")
    }
}
