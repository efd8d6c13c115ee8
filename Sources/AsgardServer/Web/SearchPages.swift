import AsgardAPI

/// The search box's results page.
enum SearchPages {
    static let kinds = ["application": "Application", "cluster": "Cluster", "serverGroup": "Server group", "instance": "Instance",
                        "image": "Image", "loadBalancer": "Load balancer"]

    static func results(_ hits: [SearchHitJSON], query: String) -> String {
        "<h1>Search: \(HTML.escape(query))</h1><p id=\"search-count\">\(hits.count) match\(hits.count == 1 ? "" : "es")</p>"
            + HTML.table(id: "search-results", headers: ["Kind", "Name", "About"], rows: hits.map { hit in
                [HTML.escape(kinds[hit.kind] ?? hit.kind), "<a href=\"\(HTML.escape(hit.url))\">\(HTML.escape(hit.name))</a>", HTML.escape(hit.detail)]
            }, empty: "Nothing in this region or among the applications has a name containing that text.")
    }
}
