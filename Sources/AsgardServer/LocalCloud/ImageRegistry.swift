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

    /// Sets and removes tags of an AMI: `tags` entries `key=value`, `removeTags` keys.
    func tag(_ fields: FormFields, user: String) async throws -> (ImageRecord, TaskRecord) {
        let image = try await show(fields["imageId"] ?? "")
        guard let tagging = cloud as? any ImageTagging else {
            throw ConsoleError.invalid("tags", "a local image's environment is set when it is registered; register a new version to change it")
        }
        var problems: [FieldError] = []
        var set: [String: String] = [:]
        for entry in fields.all("tags").flatMap({ $0.split(separator: "\n").map(String.init) }).map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 128, parts[1].count <= 256 else {
                problems.append(FieldError(field: "tags", message: "'\(entry)' must be key=value, a key of 1 to 128 characters and a value of at most 256, e.g. appversion=shop-1.2.0-h7"))
                continue
            }
            if parts[0].lowercased().hasPrefix("aws:") { problems.append(FieldError(field: "tags", message: "'\(parts[0])': keys starting with aws: are AWS's own")) }
            set[parts[0]] = parts[1]
        }
        let remove = fields.list("removeTags")
        for key in remove where image.env[key] == nil {
            problems.append(FieldError(field: "removeTags", message: "'\(key)' is not a tag of \(image.imageId); its tags: \(image.env.keys.sorted().joined(separator: ", ").nonEmptyOr("none"))"))
        }
        if problems.isEmpty, set.isEmpty, remove.isEmpty {
            problems.append(FieldError(field: "tags", message: "give tags to set (key=value) or keys to remove"))
        }
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        let words = set.sorted { $0.key < $1.key }.map { "set \($0.key)=\($0.value)" } + remove.map { "removed \($0)" }
        let task = TaskDraft(operation: "Tag image \(image.imageId)", objectType: .image, objectId: image.imageId.rawValue, user: user, region: region,
                             status: .succeeded, log: [TaskLogLine(time: now(), message: "Tags of \(image.imageId): \(words.joined(separator: ", "))")])
        let recorded = try await tagging.setImageTags(image.imageId, set: set, remove: remove, task: task)
        return (try await show(image.imageId.rawValue), recorded)
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
