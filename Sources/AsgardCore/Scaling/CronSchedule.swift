import Foundation

/// A recurrence in cron's five fields (minute, hour, day of month, month, day of week), as AWS
/// scheduled actions take it: `*`, lists, ranges and steps (`*/15`, `1-5`, `0,30`); Sunday is 0
/// or 7; when both days are restricted, either matches (as cron does).
public struct CronSchedule: Sendable, Hashable {
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    /// Parses `expression`.
    ///
    /// - Throws: `FieldError` (field `recurrence`) saying which field is wrong.
    public init(_ expression: String) throws(FieldError) {
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw FieldError(field: "recurrence", message: "'\(expression)' needs 5 fields: minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5")
        }
        minutes = try Self.parse(fields[0], "minute", 0...59)
        hours = try Self.parse(fields[1], "hour", 0...23)
        days = try Self.parse(fields[2], "day of month", 1...31)
        months = try Self.parse(fields[3], "month", 1...12)
        weekdays = Set(try Self.parse(fields[4], "day of week", 0...7).map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    static func parse(_ field: String, _ name: String, _ range: ClosedRange<Int>) throws(FieldError) -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(pieces.count) else { throw FieldError(field: "recurrence", message: "\(name) '\(field)' is not valid") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw FieldError(field: "recurrence", message: "\(name) step in '\(field)' must be a positive number") }
                step = parsed
            }
            var low = range.lowerBound, high = range.upperBound
            if pieces[0] != "*" {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let first = Int(bounds[0]), let last = Int(bounds.last ?? ""), range.contains(first), range.contains(last), first <= last else {
                    throw FieldError(field: "recurrence", message: "\(name) '\(field)' must be within \(range.lowerBound)-\(range.upperBound)")
                }
                low = first
                high = bounds.count == 2 || pieces.count == 2 ? last : first
                if bounds.count == 1, pieces.count == 2 { high = range.upperBound }
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    /// The first time after `date` (strictly) that matches, in `timeZone`; nil if none within
    /// five years (e.g. 30 February).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        guard let minute = calendar.dateInterval(of: .minute, for: date)?.start else { return nil }
        var candidate = minute.addingTimeInterval(60)
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while candidate < limit {
            let c = calendar.dateComponents([.month, .day, .hour, .minute, .weekday], from: candidate)
            guard let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute, let weekday = c.weekday else { return nil }
            if !months.contains(month) {
                candidate = calendar.nextDate(after: candidate, matching: DateComponents(day: 1, hour: 0, minute: 0), matchingPolicy: .nextTime) ?? limit
                continue
            }
            let dayMatches: Bool
            switch (daysRestricted, weekdaysRestricted) {
            case (true, true): dayMatches = days.contains(day) || weekdays.contains(weekday - 1)
            case (true, false): dayMatches = days.contains(day)
            case (false, true): dayMatches = weekdays.contains(weekday - 1)
            case (false, false): dayMatches = true
            }
            if !dayMatches {
                candidate = calendar.nextDate(after: candidate, matching: DateComponents(hour: 0, minute: 0), matchingPolicy: .nextTime) ?? limit
                continue
            }
            if !hours.contains(hour) {
                candidate = calendar.nextDate(after: candidate, matching: DateComponents(minute: 0), matchingPolicy: .nextTime) ?? limit
                continue
            }
            if !minutes.contains(minute) {
                candidate = candidate.addingTimeInterval(60)
                continue
            }
            return candidate
        }
        return nil
    }
}

/// A scheduled change of a group's sizes, one-time (`startTime`) or recurring (`recurrence` in
/// `timeZone`, between `startTime` and `endTime`), with AWS's fields.
public struct ScheduledActionRecord: Sendable, Hashable, Codable {
    public var scheduledActionName: String
    public var autoScalingGroupName: String
    public var startTime: Date?
    public var endTime: Date?
    public var recurrence: String?
    /// An IANA zone such as Europe/Paris; UTC when absent.
    public var timeZone: String?
    public var minSize: Int?
    public var maxSize: Int?
    public var desiredCapacity: Int?
    /// When it last ran.
    public var lastRun: Date?

    /// Creates an action.
    public init(scheduledActionName: String, autoScalingGroupName: String, startTime: Date? = nil, endTime: Date? = nil, recurrence: String? = nil,
                timeZone: String? = nil, minSize: Int? = nil, maxSize: Int? = nil, desiredCapacity: Int? = nil) {
        self.scheduledActionName = scheduledActionName
        self.autoScalingGroupName = autoScalingGroupName
        self.startTime = startTime
        self.endTime = endTime
        self.recurrence = recurrence
        self.timeZone = timeZone
        self.minSize = minSize
        self.maxSize = maxSize
        self.desiredCapacity = desiredCapacity
    }

    /// Every rule the action breaks.
    public var problems: [FieldError] {
        var problems: [FieldError] = []
        if scheduledActionName.isEmpty || scheduledActionName.count > 255 || scheduledActionName.contains(where: { $0.isNewline || $0 == "/" }) {
            problems.append(FieldError(field: "scheduledActionName", message: "is required: up to 255 characters, no slash"))
        }
        if let recurrence {
            do { _ = try CronSchedule(recurrence) } catch { problems.append(error) }
        } else if startTime == nil {
            problems.append(FieldError(field: "startTime", message: "a one-time action needs a startTime (ISO 8601), or give a recurrence"))
        }
        if let zone = timeZone, TimeZone(identifier: zone) == nil {
            problems.append(FieldError(field: "timeZone", message: "'\(zone)' is not a time zone such as UTC or Europe/Paris"))
        }
        if minSize == nil, maxSize == nil, desiredCapacity == nil {
            problems.append(FieldError(field: "desiredCapacity", message: "give at least one of minSize, maxSize and desiredCapacity"))
        }
        for (field, value) in [("minSize", minSize), ("maxSize", maxSize), ("desiredCapacity", desiredCapacity)] {
            if let value, let problem = InputLimits.problem(field, value, InputLimits.scheduledSize) { problems.append(problem) }
        }
        if let min = minSize, let max = maxSize, min > max {
            problems.append(FieldError(field: "minSize", message: "\(min) must not be above maxSize (\(max))"))
        }
        if let desired = desiredCapacity {
            if let min = minSize, desired < min {
                problems.append(FieldError(field: "desiredCapacity", message: "\(desired) must not be below minSize (\(min))"))
            }
            if let max = maxSize, desired > max {
                problems.append(FieldError(field: "desiredCapacity", message: "\(desired) must not be above maxSize (\(max))"))
            }
        }
        if let start = startTime, let end = endTime, end <= start {
            problems.append(FieldError(field: "endTime", message: "must be after startTime"))
        }
        return problems
    }

    /// The sizes of a group at (`min`, `desired`, `max`) after this action, held within `limit`:
    /// what the action sets wins; a size it leaves alone moves just enough to keep
    /// min ≤ desired ≤ max (a lower maximum lowers the minimum, a higher minimum raises the
    /// maximum, and the desired capacity follows both).
    public func applied(to sizes: (min: Int, desired: Int, max: Int), limit: ClosedRange<Int>) -> (min: Int, desired: Int, max: Int) {
        func held(_ value: Int) -> Int { Swift.min(limit.upperBound, Swift.max(limit.lowerBound, value)) }
        var min = held(minSize ?? sizes.min), max = held(maxSize ?? sizes.max)
        if min > max {
            if maxSize != nil, minSize == nil { min = max } else { max = min }
        }
        let desired = Swift.min(max, Swift.max(min, held(desiredCapacity ?? sizes.desired)))
        return (min, desired, max)
    }

    /// When it runs next after `date`: the start time of a one-time action not yet run, or the
    /// next match of its recurrence within its window.
    public func nextRun(after date: Date) -> Date? {
        guard let recurrence, let schedule = try? CronSchedule(recurrence) else {
            guard let start = startTime, lastRun == nil else { return nil }
            return start
        }
        let from = max(date, startTime.map { $0.addingTimeInterval(-1) } ?? date)
        guard let next = schedule.next(after: from, in: TimeZone(identifier: timeZone ?? "UTC") ?? .gmt) else { return nil }
        if let end = endTime, next > end { return nil }
        return next
    }

    /// True when it should run at `now`, having last been looked at `lastCheck`.
    public func isDue(at now: Date, lastCheck: Date) -> Bool {
        if recurrence == nil { return lastRun == nil && (startTime.map { $0 <= now } ?? false) }
        guard let next = nextRun(after: max(lastCheck, lastRun ?? .distantPast)) else { return false }
        return next <= now
    }
}
