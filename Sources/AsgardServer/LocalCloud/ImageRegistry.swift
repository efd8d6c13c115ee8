import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// Registers and removes local images.
struct ImageRegistry: Sendable {
    let cloud: any CloudProvider
    let region: String
    let now: @Sendable () -> Date
    /// The server groups that use an image; none until the local cloud runs server groups.
    let usedBy: @Sendable (ImageID) async throws -> [String]

    func show(_ text: String) async throws -> ImageRecord {
        guard ImageID.isWellFormed(text), let image = try await cloud.image(ImageID(rawValue: text)) else {
            throw ConsoleError.notFound("Image '\(text)' not found; see /\(region)/image/list")
        }
        return image
    }

    func register(_ draft: ImageDraft, user: String, region: String) async throws -> (ImageRecord, TaskRecord) {
        let time = now()
        let image: ImageRecord
        do {
            image = try draft.validated(id: ImageID.random(), now: time, isExecutable: ImageRegistry.isExecutable,
                                        findOnPath: ImageRegistry.findOnPath, isDirectory: ImageRegistry.isDirectory)
        } catch {
            throw ConsoleError(error)
        }
        let task = TaskDraft(operation: "Register image \(image.name) \(image.version)", objectType: .image,
                             objectId: image.imageId.rawValue, user: user, region: region, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Registering image \(image.imageId): \(image.name) \(image.version), command \(image.command)"),
                                   TaskLogLine(time: time, message: "Registered image \(image.imageId)")])
        return (image, try await cloud.registerImage(image, task: task))
    }

    func delete(_ text: String, user: String, region: String) async throws -> TaskRecord {
        let image = try await show(text)
        let groups = try await usedBy(image.imageId)
        guard groups.isEmpty else {
            throw ConsoleError(.conflict, "Image \(image.imageId) is used by server group\(groups.count == 1 ? "" : "s") \(groups.joined(separator: ", ")); delete or update them first")
        }
        let time = now()
        let task = TaskDraft(operation: "Delete image \(image.name) \(image.version)", objectType: .image,
                             objectId: image.imageId.rawValue, user: user, region: region, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Deleting image \(image.imageId); no server group uses it"),
                                   TaskLogLine(time: time, message: "Deleted image \(image.imageId)")])
        return try await cloud.deregisterImage(image.imageId, task: task)
    }

    static func isExecutable(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if isExecutable(candidate) { return candidate }
        }
        return nil
    }
}

/// What an application owns in the cloud: its server groups, load balancers and images.
struct CloudResourceLookup: ApplicationResourceLookup {
    let cloud: any CloudProvider

    func resources(ownedBy app: AppName) async throws -> [String] {
        let groups = try await cloud.serverGroups().filter { $0.names?.app == app.rawValue }.map { "server group \($0.autoScalingGroupName)" }
        let balancers = try await cloud.loadBalancers().filter { $0.loadBalancerName.appName == app.rawValue }
            .map { "load balancer \($0.loadBalancerName)" }
        let images = try await cloud.images().filter { $0.name == app.rawValue }.map { "image \($0.name) \($0.version) (\($0.imageId))" }
        return groups + balancers + images
    }
}
