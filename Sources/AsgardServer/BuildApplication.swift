import AWSCloud
import AsgardEngine
import AsgardCloud
import AsgardCore
import AsgardPostgres
import AsgardStore
import Foundation
import Hummingbird
import LocalCloud
import Logging
import ServiceLifecycle

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
    /// The data directory's lock, released when the console is dropped or the process ends.
    let lock: DataDirectoryLock

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
///   - lock: the data directory's lock when the caller took it already; else it is taken here.
///   - now: the clock, injectable for tests of expiry.
///   - onListening: called with the bound port once the server listens.
/// - Throws: `StoreError` when the data directory is in use by another server or the database cannot be opened.
public func buildApplication(_ config: ServerConfig, lock: DataDirectoryLock? = nil, now: @escaping @Sendable () -> Date = { Date() },
                             onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> ConsoleApplication {
    ProcessMemory.giveLargeBlocksBack()
    var logger = Logger(label: "asgard")
    logger.logLevel = config.logLevel
    // One server per data directory: held until this process ends (the lock creates the directory).
    let lock = try lock ?? DataDirectoryLock(directory: config.dataDir)
    // The database holds password and token hashes and the audit log: readable by us alone.
    if !FileManager.default.fileExists(atPath: config.databasePath) {
        _ = FileManager.default.createFile(atPath: config.databasePath, contents: nil, attributes: [.posixPermissions: 0o600])
    }
    let store = try SQLiteStore(path: config.databasePath)
    // On a shared PostgreSQL database: applications, users, sessions, the audit log and tasks
    // live there; the data directory keeps what belongs to this host.
    var database: SharedDatabase?
    if let url = config.databaseURL { database = try await SharedDatabase.open(url, accounts: config.accounts, logger: logger) }
    let shared: any SharedStore = database?.store ?? store
    let passwords = PasswordHasher(rounds: config.passwordRounds)
    let users = UserRegistry(store: shared, passwords: passwords, now: now)
    // Consoles starting together on an empty database: one creates the admin, the others find it.
    let bootstrapAdmin = { @Sendable in try await AdminBootstrap.run(users: users, store: shared, adminToken: config.adminToken, dataDir: config.dataDir) }
    let bootstrap = if let database {
        try await database.store.exclusively(SharedDatabase.bootstrapLock, bootstrapAdmin)
    } else {
        try await bootstrapAdmin()
    }
    let authenticator = Authenticator(store: shared, now: now, sessionIdle: Double(config.sessionIdleMinutes) * 60,
                                      anonymousRead: config.anonymousRead, passwords: passwords, throttle: LoginThrottle())
    let readiness = Readiness()
    let space = DataDirectorySpace(path: config.dataDir)
    var reconcilerLogger = logger
    reconcilerLogger[metadataKey: "component"] = "local-cloud"
    let reconciler = LocalReconciler(store: store, dataDir: config.dataDir, interval: config.reconcileInterval,
                                     terminationGrace: config.terminationGrace, keepDataPlane: config.keepDataPlane,
                                     proxyExecutable: config.proxyExecutable ?? LoadBalancerFleet.defaultProxyExecutable,
                                     logger: reconcilerLogger, now: now)
    let localCloud: any CloudProvider = LocalCloudProvider(store: store, reconciler: reconciler)
    let webhook: @Sendable (String) async -> String? = { app in try? await shared.application(named: AppName(rawValue: app))?.webhookUrl }
    var engineLogger = logger
    engineLogger[metadataKey: "component"] = "deployments"
    var regionals: [Region: Regional] = [:]
    var services: [any Service] = [reconciler]
    var engines: [DeploymentEngine] = []
    /// On a shared database: what wakes each region's reader when another console shared a read.
    var regionWakeups: [String: Wakeup] = [:]
    let prometheus = config.prometheusURL.map { PrometheusQuerier(url: $0, bearerToken: config.prometheusBearerToken) }
    func regional(_ account: AccountConfig, _ region: Region, cloud: any CloudProvider, engineRegions: Set<String>,
                  scaling: (any ScalingStore)?) -> Regional {
        // On a shared database the engine waits out an outage at its next write rather than fail.
        let engineTasks: any TaskStore = database == nil ? shared : PatientTaskStore(shared, logger: engineLogger)
        let operations = ClusterOperations(cloud: cloud, tasks: engineTasks, scaling: scaling, region: region.rawValue, now: now)
        let deployments = DeploymentEngine(cloud: cloud, tasks: engineTasks, operations: operations, applicationWebhook: webhook,
                                           faults: .fromEnvironment(), regions: engineRegions, leases: database?.store, prometheus: prometheus,
                                           logger: engineLogger, now: now)
        services.append(deployments)
        engines.append(deployments)
        return Regional(
            account: account, region: region, cloud: cloud, operations: operations, deployments: deployments,
            images: ImageRegistry(cloud: cloud, region: region.rawValue, now: now, usedBy: { id in
                try await cloud.serverGroups().filter { $0.imageId == id }.map(\.autoScalingGroupName)
            }),
            groups: ServerGroupRegistry(cloud: cloud, applications: shared, operations: operations, now: now,
                                        maxCapacity: account.provider == "local" ? ServerGroupRegistry.localMaxCapacity : 1000),
            loadBalancers: LoadBalancerRegistry(cloud: cloud, region: region.rawValue, applications: shared, consolePort: config.port, now: now))
    }
    // The local cloud's groups and load balancers from an earlier run keep running (the
    // reconciler adopts them) even when the configuration no longer names the local account: its
    // region stays, so that they can be seen and removed rather than serve out of reach.
    var accounts = config.accounts
    if database == nil, !accounts.contains(where: { $0.provider == "local" }) {
        let groups = try await store.serverGroups().count, balancers = try await store.loadBalancers().count
        if groups + balancers > 0 {
            logger.warning("The configuration has no local account, but the data directory holds \(groups) server groups and \(balancers) load balancers of the local cloud; region local stays so that they can be managed. Delete them to drop it")
            accounts.append(.local)
        }
    }
    for account in accounts {
        switch account.provider {
        case "aws":
            guard let credentials = config.awsCredentials[account.name] else {
                throw StoreError(.unavailable, "Account '\(account.name)' has no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile")
            }
            // AWS throttles per account: one budget for all of its regions.
            let limiter = RequestRateLimiter(rate: config.awsRequestsPerSecond, burst: config.awsRequestsPerSecond * 2)
            for region in account.regions {
                var awsLogger = logger
                awsLogger[metadataKey: "component"] = "aws-\(region)"
                let cloud = AWSCloudProvider(region: region.rawValue, endpoint: account.endpoint.flatMap(URL.init(string:)), credentials: credentials,
                                             limiter: limiter, tasks: shared, instancePageSize: config.awsInstancePageSize, logger: awsLogger)
                var agentLogger = logger
                agentLogger[metadataKey: "component"] = "aws-cache"
                let shared = database.map { (store: $0.store, name: "\(account.name)/\(region)", wakeup: Wakeup()) }
                if let shared { regionWakeups[shared.name] = shared.wakeup }
                services.append(AWSCacheAgent(provider: cloud, interval: config.cacheRefreshInterval, shared: shared, logger: agentLogger))
                regionals[region] = regional(account, region, cloud: cloud, engineRegions: [region.rawValue], scaling: nil)
            }
        default:
            // The local account's regions share the local cloud and one engine.
            let names = Set(account.regions.map(\.rawValue))
            for region in account.regions {
                regionals[region] = regional(account, region, cloud: localCloud, engineRegions: names, scaling: store)
            }
        }
    }
    // Pages outside a region use the first local region, or the first region at all.
    let homeRegion = accounts.first { $0.provider == "local" }?.regions.first ?? accounts.first?.regions.first ?? Region("local")
    if regionals[homeRegion] == nil {
        regionals[homeRegion] = regional(.local, homeRegion, cloud: localCloud, engineRegions: [homeRegion.rawValue], scaling: store)
    }
    let home = regionals[homeRegion]!
    var scalingLogger = logger
    scalingLogger[metadataKey: "component"] = "scaling"
    if let database {
        let running = engines
        // Services stop in the reverse of their order: the keeper, first of all, gives the
        // leases up only once the engines stopped running their tasks.
        services.insert(LeaseKeeper(database: database, lost: { ids in for engine in running { engine.leaseLost(ids) } }, logger: logger), at: 0)
        var followerLogger = logger
        followerLogger[metadataKey: "component"] = "changes"
        let changes = Wakeup()
        services.append(ChangeFollower(database: database, clouds: Dictionary(regionals.map { ($0.key.rawValue, $0.value.cloud) }, uniquingKeysWith: { a, _ in a }),
                                       wakeup: changes, logger: followerLogger))
        services.append(NotificationListener(database: database, engines: running, changes: changes, regions: regionWakeups))
    }
    let scaling = ScalingService(cloud: localCloud, store: store, interval: config.metricsInterval, logger: scalingLogger, now: now)
    services.append(scaling)
    var built = Console(
        applications: ApplicationRegistry(store: shared, resources: CloudResourceLookup(cloud: localCloud), now: now),
        tasks: shared, accounts: accounts, layout: PageLayout(accounts: accounts), readiness: readiness, space: space,
        users: users, regionals: regionals, home: home, scaling: scaling, scalingStore: store,
        authenticator: authenticator, now: now)
    if let database {
        built.databaseProblem = { await database.store.problem() }
        built.replicas = { try await database.replicas() }
    }
    let console = built

    ConsoleMetrics.install()
    let router = Router(context: ConsoleRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: RequestLimitsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: NotFoundMiddleware(console: console))
    router.add(middleware: RegionScopeMiddleware(regionals: regionals))
    var security = RequestSecurity(authenticator: authenticator, audit: shared, now: now, space: space)
    security.taskTitle = { id in try? await shared.task(TaskID(id))?.operation }
    let table = RouteTable(router: router, security: security) { error, input in console.errorPage(error, input: input) }
    console.addServerRoutes(to: table)
    console.addMetricsRoutes(to: table)
    console.addTargetRoutes(to: table)
    console.addAuthRoutes(to: table)
    console.addApplicationRoutes(to: table)
    console.addTaskRoutes(to: table)
    console.addTaskFollowRoutes(to: table)
    console.addNamingRoutes(to: table)
    console.addRegionalRoutes(to: table)
    console.addSearchRoutes(to: table)
    console.addCacheRoutes(to: table)
    console.addImageRoutes(to: table)
    console.addServerGroupRoutes(to: table)
    console.addLoadBalancerRoutes(to: table)
    console.addImageTagRoute(to: table)
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
        services: services,
        onServerRunning: { channel in
            readiness.markReady()
            onListening(channel.localAddress?.port ?? config.port)
        },
        logger: logger)
    return ConsoleApplication(application: application, routes: routes, store: store, bootstrap: bootstrap, reconciler: reconciler, lock: lock)
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

/// The background agent of one AWS region: reads the whole region into the cache every
/// `interval`.
struct AWSCacheAgent: Service {
    let provider: AWSCloudProvider
    let interval: Duration
    /// On a shared database: the store and the region's name there (`account/region`). One
    /// console at a time (the holder of the region's lease) reads the whole region and shares
    /// the read; the others take it in when told (a notification) or every second.
    var shared: (store: PostgresStore, name: String, wakeup: Wakeup)?
    var logger = Logger(label: "asgard.aws-cache")

    func run() async throws {
        await cancelWhenGracefulShutdown {
            guard let shared else { return await provider.runAgent(every: interval) }
            await runShared(shared.store, name: shared.name, wakeup: shared.wakeup)
        }
    }

    private func runShared(_ store: PostgresStore, name: String, wakeup: Wakeup) async {
        // A console that starts reads the region itself when first asked (the last read shared
        // may be older than what the running consoles know); it takes the reads shared after.
        var known = (try? await store.sharedRegionGeneration(name)) ?? 0
        var nextRead = ContinuousClock.now
        var failing = false
        while !Task.isCancelled {
            var pause: Duration = .seconds(1)
            var holder = false
            do {
                holder = try await store.holdLease("refresh:\(name)")
                if holder {
                    defer { pause = min(.seconds(1), max(.milliseconds(50), nextRead - ContinuousClock.now)) }
                    if ContinuousClock.now >= nextRead {
                        let started = ContinuousClock.now
                        let body = try await provider.refreshAllToShare()
                        let took = ContinuousClock.now - started
                        known = try await store.shareRegionRead(name, body: body, readSeconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
                        nextRead = started + interval
                    }
                } else if let read = try await store.sharedRegionRead(name, newerThan: known) {
                    try await provider.takeShared(read.body, age: .seconds(read.ageSeconds))
                    known = read.generation
                    // Should this console hold the lease next, its first read waits a whole interval.
                    nextRead = ContinuousClock.now + interval
                }
                if failing { logger.notice("Region \(name) is read and shared again") }
                failing = false
            } catch {
                if !failing { logger.warning("Cannot read or share region \(name): \(error)") }
                failing = true
            }
            if holder {
                try? await Task.sleep(for: pause)
            } else {
                // Woken by the holder's notification; a look every second catches a lost one.
                await wakeup.wait(upTo: pause)
            }
        }
    }
}
