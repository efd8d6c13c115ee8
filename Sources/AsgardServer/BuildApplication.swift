import AsgardCore
import AsgardStore
import Foundation
import Hummingbird
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
    public let application: Application<RouterResponder<BasicRequestContext>>
    /// Every route the router answers.
    public let routes: [RegisteredRoute]
    /// The store it opened.
    public let store: SQLiteStore
}

/// Wires the whole console for `config`: opens the store in the data directory (creating it),
/// registers every route and page, and describes them at `/openapi.json`.
///
/// - Parameters:
///   - config: where to listen, where the data lives, which accounts to manage.
///   - onListening: called with the bound port once the server listens.
/// - Throws: `StoreError` when the database cannot be opened.
public func buildApplication(_ config: ServerConfig,
                             onListening: @escaping @Sendable (Int) -> Void = { _ in }) throws -> ConsoleApplication {
    var logger = Logger(label: "asgard")
    logger.logLevel = config.logLevel
    do {
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
    } catch {
        throw StoreError(.unavailable, "Cannot create the data directory '\(config.dataDir)'; choose another with --data-dir", cause: error)
    }
    let store = try SQLiteStore(path: config.databasePath)
    let readiness = Readiness()
    let console = Console(
        applications: ApplicationRegistry(store: store, resources: NoCloudResources(), now: { Date() }),
        tasks: store, accounts: config.accounts, layout: PageLayout(accounts: config.accounts), readiness: readiness)

    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: NotFoundMiddleware(console: console))
    let table = RouteTable(router: router) { error, input in console.errorPage(error, input: input) }
    console.addServerRoutes(to: table)
    console.addApplicationRoutes(to: table)
    console.addTaskRoutes(to: table)
    console.addNamingRoutes(to: table)
    console.addRegionalRoutes(to: table)

    let openAPIDoc = EndpointDoc(summary: "This document: the OpenAPI 3.1 description of the JSON API", tag: "Server",
                                 answers: [.ok("Object")])
    let endpointsSoFar = table.endpoints + [Endpoint(method: .get, documentedPath: "/openapi.json", routerPaths: ["/openapi.json"], doc: openAPIDoc)]
    let document = try APIDocumentData(OpenAPIDocument.build(endpointsSoFar))
    table.get("/openapi.json", doc: openAPIDoc) { _ in
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
        onServerRunning: { channel in
            readiness.markReady()
            onListening(channel.localAddress?.port ?? config.port)
        },
        logger: logger)
    return ConsoleApplication(application: application, routes: routes, store: store)
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
