import AsgardCore
import Hummingbird

extension Console {
    /// The regional lists of the navigation. No cloud provider is attached yet, so they are
    /// empty; each provider issue fills its own.
    func addRegionalRoutes(to table: RouteTable) {
        let lists: [(controller: String, title: String, section: PageLayout.Section, noun: String)] = [
            ("security", "Security Groups", .security, "security groups"),
        ]
        for list in lists {
            table.page("/{region}/\(list.controller)/list", doc: EndpointDoc(
                summary: "List \(list.noun) in a region", tag: "Region",
                parameters: [.path("region", "The region, e.g. local"),
                             .query("account", "The account, where the region name alone is ambiguous")],
                answers: [.ok("[Object]"), .notFound]
            )) { input in
                let (account, region) = try region(named: input.context.parameters.get("region") ?? "", account: input.fields["account"])
                if input.wantsJSON { return try Responses.json([String]()) }
                let body = "<h1>\(list.title) in \(HTML.escape(region.rawValue))</h1>"
                    + "<p class=\"empty\" id=\"\(list.controller)-empty\">No \(list.noun) in account \(HTML.escape(account.name.rawValue)), region \(HTML.escape(region.rawValue)) yet.</p>"
                return page(input, title: list.title, section: list.section, region: region.rawValue, body: body)
            }
        }
    }
}
