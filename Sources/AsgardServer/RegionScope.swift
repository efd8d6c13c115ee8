import AWSCloud
import AsgardCloud
import AsgardCore
import AsgardEngine
import Hummingbird

/// What serves one region: its cloud, the cluster operations and deployment engine over it, and
/// the registries the routes use. The regions of the local account share the local cloud.
struct Regional: Sendable {
    let account: AccountConfig
    let region: Region
    let cloud: any CloudProvider
    let operations: ClusterOperations
    let deployments: DeploymentEngine
    let images: ImageRegistry
    let groups: ServerGroupRegistry
    let loadBalancers: LoadBalancerRegistry

    var isLocal: Bool { account.provider == "local" }
}

extension Console {
    /// The region of the request being answered: set by `RegionScopeMiddleware` from the path's
    /// first segment (`/us-east-1/…`), so that `groups`, `images`, `loadBalancers` and
    /// `deployments` are that region's. Outside a regional path: the first local region.
    @TaskLocal static var scope: Regional?

    /// The request's region, or the home region.
    var current: Regional { Console.scope ?? home }

    var images: ImageRegistry { current.images }
    var groups: ServerGroupRegistry { current.groups }
    var loadBalancers: LoadBalancerRegistry { current.loadBalancers }
    var deployments: DeploymentEngine { current.deployments }

    /// Runs `body` with the region a task was recorded in as the current one.
    func inRegionOf<T: Sendable>(task id: TaskID, _ body: () async throws -> T) async throws -> T {
        let region = try await tasks.task(id)?.region ?? home.region.rawValue
        return try await Console.$scope.withValue(regionals[Region(region)] ?? home, operation: body)
    }
}

/// Makes the region named by a path's first segment the current one for the request.
struct RegionScopeMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let regionals: [Region: Regional]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let first = request.uri.path.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        guard let regional = regionals[Region(first)] else { return try await next(request, context) }
        return try await Console.$scope.withValue(regional) { try await next(request, context) }
    }
}
