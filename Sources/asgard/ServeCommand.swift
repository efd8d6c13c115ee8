import ArgumentParser
import AsgardCore
import AsgardServer
import AsgardStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// `asgard serve`: runs the console until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the console: web UI, REST API and the embedded store.",
        discussion: """
        Flags override the configuration file, which overrides the defaults.

        Example:
          asgard serve --port 8080 --data-dir /var/lib/asgard
          asgard serve --log-format json 2>> /var/log/asgard.jsonl
        """
    )

    @Option(help: "The address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "The port to listen on; 0 picks a free one (default 8080).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Where the database lives; created when missing (default .asgard).")
    var dataDir: String?

    @Flag(help: "On a graceful stop, leave the local cloud's instances running (to upgrade the server without downtime).")
    var keepDataPlane = false

    @Option(help: "A YAML configuration file (env ASGARD_CONFIG).")
    var config: String?

    @Option(name: .customLong("database-url"),
            help: "A PostgreSQL database to keep the console's state in, postgres://user:password@host:5432/database (env ASGARD_DATABASE_URL; default: SQLite in the data directory).")
    var databaseURL: String?

    @Option(name: .customLong("metrics-interval"), help: "Seconds between collections of the groups' metrics and evaluations of their alarms and policies (default 10).")
    var metricsInterval: Int?

    /// How log lines look.
    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .customLong("log-format"),
            help: "text (default), or json: one JSON object a line with time, level, message, and the request id, task id and user where known.")
    var logFormat: LogFormat = .text

    func run() async throws {
        if logFormat == .json {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
        var settings = ServerConfig()
        if let config = config ?? ProcessInfo.processInfo.environment["ASGARD_CONFIG"] {
            do {
                settings = try ConfigFile.load(config, over: settings)
            } catch {
                FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
        }
        if let host { settings.host = host }
        if let port {
            guard (0...65535).contains(port) else {
                FileHandle.standardError.write(Data("error: --port must be from 0 to 65535\n".utf8))
                throw ExitCode(1)
            }
            settings.port = port
        }
        if let dataDir { settings.dataDir = dataDir }
        if keepDataPlane { settings.keepDataPlane = true }
        if let metricsInterval {
            guard (1...300).contains(metricsInterval) else {
                FileHandle.standardError.write(Data("error: --metrics-interval must be from 1 to 300 seconds\n".utf8))
                throw ExitCode(1)
            }
            settings.metricsInterval = .seconds(metricsInterval)
        }
        settings.adminToken = ProcessInfo.processInfo.environment["ASGARD_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let text = databaseURL ?? ProcessInfo.processInfo.environment["ASGARD_DATABASE_URL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do {
                settings.databaseURL = try DatabaseURL(parsing: text)
            } catch {
                FileHandle.standardError.write(Data("error: --database-url \(error.message)\n".utf8))
                throw ExitCode(1)
            }
        }

        // An existing data directory's lock is taken first: a second server on the same data says
        // so, whatever its port. A new one cannot be in use, and nothing is created before the
        // port is known to be free.
        func portCheck() throws {
            if settings.port != 0, let problem = PortCheck.problem(host: settings.host, port: settings.port) {
                FileHandle.standardError.write(Data("error: cannot listen on \(settings.host):\(settings.port): \(problem); choose another with --port\n".utf8))
                throw ExitCode(1)
            }
        }
        let existed = FileManager.default.fileExists(atPath: settings.dataDir)
        if !existed { try portCheck() }
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectoryLock(directory: settings.dataDir)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if existed { try portCheck() }
        let console: ConsoleApplication
        do {
            let host = settings.host
            let dataDir = settings.dataDir
            let database = settings.databaseURL?.redacted
            console = try await buildApplication(settings, lock: lock, onListening: { port in
                FileHandle.standardOutput.write(Data("Asgard is serving http://\(host):\(port) (data in \(database ?? dataDir))\n".utf8))
            })
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if let message = console.firstStartMessage {
            FileHandle.standardOutput.write(Data((message + "\n").utf8))
        }
        // SIGTERM and SIGINT stop the console within 10 s whatever is in flight: 7 s for a
        // graceful stop (requests finish, the local cloud stops its instances), then what is
        // left is cancelled, and at 9.5 s the process ends.
        let stopping = StopWatchdog(after: .milliseconds(9500))
        do {
            var configuration = ServiceGroupConfiguration(services: [console.application], gracefulShutdownSignals: [.sigterm, .sigint],
                                                          logger: Logger(label: "asgard"))
            configuration.maximumGracefulShutdownDuration = .seconds(7)
            try await ServiceGroup(configuration: configuration).run()
        } catch where stopping.signalled {
            return
        } catch {
            FileHandle.standardError.write(Data("error: the server stopped: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Ends the process a fixed time after SIGTERM or SIGINT, should the graceful stop hang (a
/// request waiting on a cloud that does not answer, a process that ignores SIGTERM).
final class StopWatchdog {
    /// Set once a stop signal came.
    final class Flag: Sendable {
        let seen = Atomic(false)
    }

    private var sources: [any DispatchSourceSignal] = []
    private let flag = Flag()

    /// True once a stop signal came.
    var signalled: Bool { flag.seen.load(ordering: .relaxed) }

    init(after limit: Duration) {
        let seconds = limit.inSeconds
        let flag = self.flag
        sources = [SIGTERM, SIGINT].map { signal in
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler {
                guard flag.seen.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    FileHandle.standardError.write(Data("asgard: did not stop within \(seconds) s of the signal; exiting now\n".utf8))
                    exit(0)
                }
            }
            source.resume()
            return source
        }
    }
}
