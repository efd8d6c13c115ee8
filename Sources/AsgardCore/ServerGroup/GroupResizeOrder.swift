import Foundation

/// A resize in batches, as a durable task's input: each batch grows the group and waits until
/// the new instances are InService and healthy; the checkpoint is the number of batches done, so
/// a resize interrupted by a crash goes on with the next batch.
public struct GroupResizeOrder: Sendable, Hashable, Codable {
    /// Always `resize`: tells this input from a deployment's.
    public var operation: String
    /// The server group.
    public var group: String
    /// The sizes to end with.
    public var capacity: DeploymentCapacity
    /// The desired capacity after each batch, the last being `capacity.desired`.
    public var batches: [Int]
    /// The desired capacity before the resize.
    public var startDesired: Int

    /// A resize of `group` from `current` to `capacity`, growing `batchSize` instances at a time
    /// (all at once when nil; shrinking is always one step).
    public init(group: String, from current: Int, to capacity: DeploymentCapacity, batchSize: Int?) {
        operation = "resize"
        self.group = group
        self.capacity = capacity
        startDesired = current
        batches = Self.batches(from: current, to: capacity.desired, batchSize: batchSize)
    }

    /// The desired capacity after each batch.
    public static func batches(from current: Int, to desired: Int, batchSize: Int?) -> [Int] {
        guard let batchSize, batchSize > 0, desired > current else { return [desired] }
        return Array(stride(from: current + batchSize, to: desired, by: batchSize)) + [desired]
    }

    /// The order in a task's input, nil when the input is something else.
    public static func decode(_ input: String) -> GroupResizeOrder? {
        guard let order = try? JSONDecoder().decode(GroupResizeOrder.self, from: Data(input.utf8)), order.operation == "resize" else { return nil }
        return order
    }
}
