import Foundation

/// The group a step of a custom deployment acts on: the one it creates, or the one that served
/// before it (the newest group enabled when the deployment started).
public enum StepTarget: String, Sendable, Hashable, Codable, CaseIterable {
    case new
    case previous

    /// Also takes Asgard's spellings, `Next` and `Previous`, in any case.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch text.lowercased() {
        case "new", "next": self = .new
        case "previous": self = .previous
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not new or previous"))
        }
    }
}

/// One step of a deployment's plan with its settings. Built-in strategies use bare steps; a
/// custom deployment lists its own, as Asgard's automated deployments did.
public struct PlannedStep: Sendable, Hashable, Codable {
    /// What the step does.
    public var type: DeploymentStep
    /// `resize`, `enableGroup`, `disableGroup`, `deleteGroup`: the group it acts on (default new,
    /// `previous` for disable and delete).
    public var target: StepTarget?
    /// `createGroup`, `resize`: the desired capacity to reach.
    public var capacity: Int?
    /// `resize`: the desired capacity as a percentage of the deployment's, rounded up.
    public var percent: Int?
    /// `wait`: how long; `judgment`: how long to wait for a decision, instead of `minutes`.
    public var seconds: Int?
    /// `judgment`: how long to wait for a decision before rolling back.
    public var minutes: Int?

    /// How long a `wait` or `judgment` step lasts, in seconds (held at `Int.max` rather than
    /// overflowing for minutes out of range, which `problems` refuses).
    public var duration: Int {
        type == .judgment ? minutes.map { $0.clampedMultiplied(by: 60) } ?? seconds ?? 0 : seconds ?? 0
    }
    /// `createGroup`: false creates the group disabled (enable it with a later step).
    public var trafficAllowed: Bool?
    /// `analyze`: how often the canary is judged.
    public var intervalSeconds: Int?
    /// `analyze` with the sequential judge: the step may pass early after this (nil: 30 s, at
    /// most the duration).
    public var minimumSeconds: Int?

    /// Creates a step.
    public init(_ type: DeploymentStep, target: StepTarget? = nil, capacity: Int? = nil, percent: Int? = nil, seconds: Int? = nil,
                minutes: Int? = nil, trafficAllowed: Bool? = nil, intervalSeconds: Int? = nil, minimumSeconds: Int? = nil) {
        self.intervalSeconds = intervalSeconds
        self.minimumSeconds = minimumSeconds
        self.type = type
        self.target = target
        self.capacity = capacity
        self.percent = percent
        self.seconds = seconds
        self.minutes = minutes
        self.trafficAllowed = trafficAllowed
    }

    /// The group the step acts on.
    public var group: StepTarget {
        target ?? ([.disableGroup, .deleteGroup].contains(type) ? .previous : .new)
    }

    /// The desired capacity a `resize` reaches for a deployment whose desired capacity is
    /// `desired`: `capacity`, or `percent` of `desired` rounded up.
    public func resizeTarget(desired: Int) -> Int {
        if let capacity { return capacity }
        let share = percent ?? 100
        return (desired * share + 99) / 100
    }

    /// The step in words, as the task page lists it.
    public func summary(desired: Int) -> String {
        switch type {
        case .createGroup:
            return "create the new group" + (capacity.map { " with \($0) instance\($0 == 1 ? "" : "s")" } ?? "")
                + (trafficAllowed == false ? ", disabled" : "")
        case .resize:
            let count = resizeTarget(desired: desired)
            return "resize the \(group.rawValue) group to \(count)" + (percent.map { " (\($0) %)" } ?? "")
        case .wait: return "wait \(seconds ?? 0) s"
        case .judgment: return "wait for a judgment (up to " + (minutes.map { "\($0) min" } ?? "\(seconds ?? 0) s") + ")"
        case .enableGroup: return "enable the \(group.rawValue) group"
        case .disableGroup: return "disable the \(group.rawValue) group"
        case .deleteGroup: return "delete the \(group.rawValue) group"
        case .waitHealthy: return "wait until the new group is healthy"
        case .disablePrevious: return "disable the previous groups"
        case .trimDisabled: return "delete disabled groups beyond those kept"
        case .deletePrevious: return "delete the previous groups"
        case .updateImage: return "launch from the new image"
        case .relaunch: return "replace the instances"
        case .createBaseline: return "launch a fresh baseline of the current image"
        case .setWeight: return "send \(percent ?? 0) % of requests to the canary"
        case .analyze: return "analyze for \(seconds ?? 0) s, judging every \(intervalSeconds ?? 0) s"
        case .pause: return seconds.map { "pause \($0) s (or until proceed)" } ?? "pause until proceed or rollback"
        case .promote: return "make the canary the only enabled group"
        }
    }

    /// The steps a custom plan may use.
    public static let customTypes: [DeploymentStep] = [.createGroup, .resize, .wait, .judgment, .enableGroup, .disableGroup, .deleteGroup]

    /// Every rule a custom plan breaks, for a deployment whose most instances is `max`: known
    /// step types, each with the settings it needs; one `createGroup`, before every step on the
    /// new group; no two `wait` or `judgment` steps in a row and neither last (Asgard's rules);
    /// the new group never deleted; nothing on the previous group after it is deleted.
    public static func problems(of steps: [PlannedStep], max: Int) -> [FieldError] {
        var problems: [FieldError] = []
        func problem(_ index: Int, _ message: String) {
            problems.append(FieldError(field: "steps", message: "step \(index + 1) (\(steps[index].type.rawValue)): \(message)"))
        }
        guard !steps.isEmpty else {
            return [FieldError(field: "steps", message: "a custom deployment needs steps, e.g. [{\"type\": \"createGroup\"}, {\"type\": \"disableGroup\"}]")]
        }
        if steps.count > InputLimits.steps.upperBound {
            problems.append(FieldError(field: "steps", message: "\(steps.count) steps; at most \(InputLimits.steps.upperBound)"))
        }
        var created = false
        var previousDeleted = false
        for (index, step) in steps.enumerated() {
            guard customTypes.contains(step.type) else {
                problem(index, "not a custom step; use one of \(customTypes.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            switch step.type {
            case .createGroup:
                if created { problem(index, "only one createGroup") }
                created = true
                if let capacity = step.capacity, !(0...max).contains(capacity) { problem(index, "capacity \(capacity) must be from 0 to max (\(max))") }
            case .resize:
                switch (step.capacity, step.percent) {
                case (nil, nil), (.some, .some): problem(index, "needs either capacity (instances) or percent (of the desired capacity)")
                case (let capacity?, nil) where !(0...max).contains(capacity): problem(index, "capacity \(capacity) must be from 0 to max (\(max))")
                case (nil, let percent?) where !InputLimits.resizePercent.contains(percent): problem(index, "percent \(percent) must be from 0 to 100")
                default: break
                }
            case .wait:
                if !InputLimits.waitSeconds.contains(step.seconds ?? 0) { problem(index, "needs seconds from 1 to 86400") }
            case .judgment:
                if step.minutes != nil, step.seconds != nil { problem(index, "takes minutes or seconds, not both") }
                if let minutes = step.minutes, !InputLimits.judgmentMinutes.contains(minutes) {
                    problem(index, "minutes \(minutes) must be from 1 to 4320 (3 days)")
                } else if step.minutes == nil, !InputLimits.judgmentSeconds.contains(step.seconds ?? 0) {
                    problem(index, "needs minutes from 1 to 4320 (3 days), or seconds from 1 to 259200")
                }
            case .deleteGroup where step.group == .new:
                problem(index, "the new group cannot be deleted; a failed deployment keeps it disabled for inspection")
            default: break
            }
            if [.wait, .judgment].contains(step.type) {
                if index == steps.count - 1 { problem(index, "cannot be the last step") }
                if index > 0, steps[index - 1].type == step.type { problem(index, "two \(step.type.rawValue) steps in a row") }
            }
            if [.resize, .enableGroup, .disableGroup, .deleteGroup].contains(step.type) {
                if step.group == .new, !created { problem(index, "acts on the new group before createGroup") }
                if step.group == .previous, previousDeleted { problem(index, "acts on the previous group after it was deleted") }
                if step.type == .deleteGroup { previousDeleted = true }
            }
        }
        if !created { problems.append(FieldError(field: "steps", message: "a custom deployment needs a createGroup step")) }
        return problems
    }
}
