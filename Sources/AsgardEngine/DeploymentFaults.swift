import Foundation

/// Failures injected into deployments on purpose, so that tests can prove a deployment resumes
/// from every step. Off unless the environment asks for them.
public struct DeploymentFaults: Sendable {
    /// Kill the server (SIGKILL, as a crash) right after a deployment saves this many finished steps.
    public var crashAfterStep: Int?

    /// No faults.
    public init(crashAfterStep: Int? = nil) {
        self.crashAfterStep = crashAfterStep
    }

    /// The faults `ASGARD_FAULT_CRASH_AFTER_STEP` asks for.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> DeploymentFaults {
        DeploymentFaults(crashAfterStep: environment["ASGARD_FAULT_CRASH_AFTER_STEP"].flatMap(Int.init))
    }

    func afterStep(_ finished: Int) {
        if finished == crashAfterStep { kill(getpid(), SIGKILL) }
    }
}
