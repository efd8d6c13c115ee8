import AsgardCore

/// Stores local images. Every change is recorded with its task, in one transaction.
public protocol ImageStore: Sendable {
    /// Every image, by name then version.
    func images() async throws -> [ImageRecord]
    /// One image, or nil.
    func image(_ id: ImageID) async throws -> ImageRecord?
    /// Registers an image and records `task`.
    ///
    /// - Throws: `StoreError.conflict` when the name and version exist already.
    func createImage(_ image: ImageRecord, task: TaskDraft) async throws -> TaskRecord
    /// Removes an image and records `task`.
    ///
    /// - Throws: `StoreError.notFound`.
    func deleteImage(_ id: ImageID, task: TaskDraft) async throws -> TaskRecord
}
