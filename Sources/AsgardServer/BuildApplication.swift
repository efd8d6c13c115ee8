import AsgardEngine
import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation
import Hummingbird
import LocalCloud
import Logging

/// One route as registered with the router, for checks that the API document covers it.
public struct RegisteredRoute: Sendable, Hashable {
    /// `GET`, `POST` …
    public var method: String
    /// The path in Hummingbird's syntax, such as `/task/show/:id`.
    public var path: String
    /// True when the route is part of the JSON API and so must be in `/openapi.json`.
    public var isAPI: Bool
}

/// The console, ready to run: the Hummingbird application and what it registered.
public struct ConsoleApplication: Sendable {
    /// The HTTP application; `runService()` serves until SIGINT or SIGTERM.
    public let application: Application<RouterResponder<ConsoleRequestContext>>
    /// Every route the router answers.
    public let routes: [RegisteredRoute]
    /// The store it opened.
    public let store: SQLiteStore
    /// What the first start did about the admin user.
    let bootstrap: AdminBootstrap.Outcome
    /// The local cloud's reconcile loop, one of the application's services.
    public let reconciler: LocalReconciler

    /// A line for the console about the admin user, shown once on first start; nil otherwise.
    public var firstStartMessage: String? {
        switch bootstrap {
        case .existing: nil
        case .token: "Created user 'admin' with the API token from ASGARD_ADMIN_TOKEN."
        case .password(let password, let file):
            "Created user 'admin' with the one-time password \(password) (also in \(file)); sign in at /auth/login and change it."
        }
    }
}

/// Wires the whole console for `config`: opens the store in the data directory (creating it),
/// creates the admin on first start, registers every route and page, and describes them at
/// `/openapi.json`.
///
/// - Parameters:
///   - config: where to listen, where the data lives, which accounts to manage.
///   - now: the clock, injectable for tests of expiry.
///   - onListening: called with the bound port once the server listens.
/// - Throws: `StoreError` when the database cannot be opened.
public func buildApplication(_ config: ServerConfig, now: @escaping @Sendable () -> Date = { Date() },
                             onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> ConsoleApplication {
    var logger = Logger(label: "asgard")
    logger.logLevel = config.logLevel
    do {
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    } catch {
        throw StoreError(.unavailable, "Cannot create the data directory '\(config.dataDir)'; choose another with --data-dir", cause: error)
    }
    // The database holds password and token hashes and the audit log: readable by us alone.
    if !FileManager.default.fileExists(atPath: config.databasePath) {
        _ = FileManager.default.createFile(atPath: config.databasePath, contents: nil, attributes: [.posixPermissions: 0o600])
    }
    let store = try SQLiteStore(path: config.databasePath)
    let passwords = PasswordHasher(rounds: config.passwordRounds)
    let users = UserRegistry(store: store, passwords: passwords, now: now)
    let bootstrap = try await AdminBootstrap.run(users: users, store: store, adminToken: config.adminToken, dataDir: config.dataDir)
    let authenticator = Authenticator(store: store, now: now, sessionIdle: Double(config.sessionIdleMinutes) * 60,
                                      anonymousRead: config.anonymousRead, passwords: passwords, throttle: LoginThrottle())
    let readiness = Readiness()
    var reconcilerLogger = logger
    reconcilerLogger[metadataKey: "component"] = "local-cloud"
    let reconciler = LocalReconciler(store: store, dataDir: config.dataDir, interval: config.reconcileInterval,
                                     terminationGrace: config.terminationGrace, keepDataPlane: config.keepDataPlane,
                                     proxyExecutable: config.proxyExecutable ?? LoadBalancerFleet.defaultProxyExecutable,
                                     logger: reconcilerLogger, now: now)
    let cloud: any CloudProvider = LocalCloudProvider(store: store, reconciler: reconciler)
    let operations = ClusterOperations(cloud: cloud, tasks: store, scaling: store, now: now)
    var engineLogger = logger
    engineLogger[metadataKey: "component"] = "deployments"
    let deployments = DeploymentEngine(cloud: cloud, tasks: store, operations: operations,
                                       applicationWebhook: { app in try? await store.application(named: AppName(rawValue: app))?.webhookUrl },
                                       faults: .fromEnvironment(), logger: engineLogger, now: now)
    var scalingLogger = logger
    scalingLogger[metadataKey: "component"] = "scaling"
    let scaling = ScalingService(cloud: cloud, store: store, interval: config.metricsInterval, logger: scalingLogger, now: now)
    let console = Console(
        applications: ApplicationRegistry(store: store, resources: CloudResourceLookup(cloud: cloud), now: now),
        tasks: store, accounts: config.accounts, layout: PageLayout(accounts: config.accounts), readiness: readiness,
        users: users,
        images: ImageRegistry(cloud: cloud, now: now, usedBy: { id in
            try await cloud.serverGroups().filter { $0.imageId == id }.map(\.autoScalingGroupName)
        }),
        groups: ServerGroupRegistry(cloud: cloud, applications: store, operations: operations, now: now),
        loadBalancers: LoadBalancerRegistry(cloud: cloud, applications: store, consolePort: config.port, now: now),
        deployments: deployments, scaling: scaling, scalingStore: store,
        authenticator: authenticator, now: now)

    let router = Router(context: ConsoleRequestContext.self)
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: NotFoundMiddleware(console: console))
    let security = RequestSecurity(authenticator: authenticator, audit: store, now: now)
    let table = RouteTable(router: router, security: security) { error, input in console.errorPage(error, input: input) }
    console.addServerRoutes(to: table)
    console.addAuthRoutes(to: table)
    console.addApplicationRoutes(to: table)
    console.addTaskRoutes(to: table)
    console.addTaskFollowRoutes(to: table)
    console.addNamingRoutes(to: table)
    console.addRegionalRoutes(to: table)
    console.addImageRoutes(to: table)
    console.addServerGroupRoutes(to: table)
    console.addLoadBalancerRoutes(to: table)
    console.addTrafficRoutes(to: table)
    console.addClusterPrimitiveRoutes(to: table)
    console.addDeploymentRoutes(to: table)
    console.addCanaryFragmentRoute(to: table)
    console.addScalingRoutes(to: table)
    console.addUserRoutes(to: table)
    console.addTokenRoutes(to: table)
    console.addAuditRoutes(to: table)

    let openAPIDoc = EndpointDoc(summary: "This document: the OpenAPI 3.1 description of the JSON API", tag: "Server",
                                 answers: [.ok("Object")])
    let endpointsSoFar = table.endpoints + [Endpoint(method: .get, documentedPath: "/openapi.json", routerPaths: ["/openapi.json"],
                                                     doc: openAPIDoc, access: .open)]
    let document = try APIDocumentData(OpenAPIDocument.build(endpointsSoFar))
    table.get("/openapi.json", access: .open, doc: openAPIDoc) { _ in
        Responses.text(document.text, contentType: "application/json; charset=utf-8")
    }

    var routes: [RegisteredRoute] = []
    for endpoint in table.endpoints {
        for path in endpoint.routerPaths {
            routes.append(RegisteredRoute(method: endpoint.method.rawValue, path: path, isAPI: endpoint.doc != nil))
        }
    }
    let application = Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "asgard"),
        services: [reconciler, deployments, scaling],
        onServerRunning: { channel in
            readiness.markReady()
            onListening(channel.localAddress?.port ?? config.port)
        },
        logger: logger)
    return ConsoleApplication(application: application, routes: routes, store: store, bootstrap: bootstrap, reconciler: reconciler)
}

/// The API document, encoded once at start.
private struct APIDocumentData: Sendable {
    let text: String

    init(_ value: JSONValue) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
