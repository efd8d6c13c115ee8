import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import Hummingbird

/// Lists answered as their query asks — filtered by `app`, `cluster`, `state`, `loadBalancer`
/// and free text `q`, windowed by `limit` and `offset` — with how many matched in
/// `X-Total-Count`; the pages show a window of 100 with links to the next and previous.
enum ListAnswers {
    /// The query parameters every list takes, for the API's description.
    static let parameters: [EndpointDoc.Parameter] = [
        .query("limit", "At most this many (1 to 10000; JSON: all, the page: 100); X-Total-Count says how many match", type: "integer"),
        .query("offset", "Skip this many of those that match (default 0)", type: "integer"),
        .query("app", "Only the application's"),
        .query("cluster", "Only the cluster's"),
        .query("state", "Only those in this state (instances: InService, Pending…; server groups: enabled, disabled, none)"),
        .query("loadBalancer", "Only those behind this load balancer"),
        .query("q", "Only those whose name, id, address or image contains this"),
    ]

    /// The page's window when none is asked for.
    static let pageLimit = 100

    /// The query of `input`, or a 400 naming each bad value.
    static func query(_ input: RouteInput) throws -> ListQuery {
        let (query, problems) = ListQuery.parse({ input.fields[$0] }, defaultLimit: input.wantsJSON ? nil : pageLimit)
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        return query
    }

    /// What a page says above its table: how many match, which are shown, and links to the
    /// previous and next windows that keep the filters.
    static func pager(_ path: String, _ query: ListQuery, shown: Int, total: Int, noun: String) -> String {
        var kept = query.filterParameters.map { "\($0.name)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        let limit = query.limit ?? max(shown, 1)
        kept.append("limit=\(limit)")
        var text = "<p class=\"pager\" id=\"pager\"><span id=\"total-count\">\(total)</span> \(noun)\(total == 1 ? "" : "s")"
            + (query.filters ? " match" : "")
        if shown < total { text += ", showing \(shown == 0 ? 0 : query.offset + 1)–\(query.offset + shown)" }
        if query.offset > 0 {
            text += " <a id=\"previous-page\" href=\"\(path)?\((kept + ["offset=\(max(0, query.offset - limit))"]).joined(separator: "&amp;"))\">Previous</a>"
        }
        if query.offset + shown < total {
            text += " <a id=\"next-page\" href=\"\(path)?\((kept + ["offset=\(query.offset + shown)"]).joined(separator: "&amp;"))\">Next</a>"
        }
        return text + "</p>"
    }

    /// An instance's facts: the group's application and cluster (parsed from its name), its
    /// lifecycle state, its group's load balancers, and its id, group, address and image.
    static func facts(_ instance: InstanceRecord, loadBalancers: [String: [String]]) -> ListedFacts {
        let names = Names(parsing: instance.autoScalingGroupName)
        return ListedFacts(app: names?.app, cluster: names?.cluster, state: instance.lifecycleState.rawValue,
                           loadBalancers: loadBalancers[instance.autoScalingGroupName] ?? [],
                           words: [instance.instanceId.rawValue, instance.autoScalingGroupName, instance.address, instance.imageId.rawValue])
    }

    /// A server group's facts: its application, cluster, traffic state, load balancers, name and image.
    static func facts(_ group: ServerGroupJSON) -> ListedFacts {
        ListedFacts(app: group.appName, cluster: group.cluster, state: group.trafficState, loadBalancers: group.loadBalancerNames,
                    words: groupWords(group.autoScalingGroupName, image: group.imageId, imageName: group.imageName))
    }

    /// The same facts of a group before its view is built, named as its view names them; its
    /// traffic state is left out (it needs the view).
    static func facts(_ group: ServerGroupRecord, imageName: String?) -> ListedFacts {
        ListedFacts(app: ServerGroupJSON.appName(of: group), cluster: ServerGroupJSON.cluster(of: group), state: nil,
                    loadBalancers: group.loadBalancerNames, words: groupWords(group.autoScalingGroupName, image: group.imageId, imageName: imageName))
    }

    /// The words a server group is found by: its name, its image's id and the image's name.
    private static func groupWords(_ name: String, image: ImageID, imageName: String?) -> [String] {
        [name, image.rawValue] + (imageName.map { [$0] } ?? [])
    }

    /// A cluster's facts: its application, its groups' load balancers, its name and its groups'.
    static func facts(_ cluster: ClusterJSON) -> ListedFacts {
        ListedFacts(app: Names(parsing: cluster.cluster)?.app ?? cluster.autoScalingGroups.first?.appName, cluster: cluster.cluster, state: nil,
                    loadBalancers: cluster.autoScalingGroups.flatMap(\.loadBalancerNames),
                    words: [cluster.cluster] + cluster.autoScalingGroups.map(\.autoScalingGroupName))
    }
}
