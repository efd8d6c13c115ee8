import AsgardCloud
import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `/{region}/image/…` for regions of local accounts: images are versioned command lines.
    func addImageRoutes(to table: RouteTable) {
        table.page("/{region}/image/list", doc: EndpointDoc(
            summary: "List local images", tag: "Image",
            parameters: [.path("region", "A region, e.g. local or us-east-1"), .query("account", "The account, where ambiguous")],
            answers: [.ok("[Image]"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let all = try await images.cloud.images()
            if input.wantsJSON { return try Responses.json(all) }
            return page(input, title: "Images", section: .image, region: region,
                        body: ImagePages.list(all, region: region, canRegister: (input.principal?.user.isAllowed(.admin) ?? false)
                                                && images.cloud.capabilities.contains(.registersImages)))
        }

        table.page("/{region}/image/show/{imageId}", doc: EndpointDoc(
            summary: "Show a local image", tag: "Image",
            parameters: [.path("region", "A region of a local account"), .path("imageId", "The image's id, e.g. img-1a2b3c4d")],
            answers: [.ok("Image"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let image = try await images.show(input.path("imageId"))
            if input.wantsJSON { return try Responses.json(image) }
            return page(input, title: image.imageId.rawValue, section: .image, region: region,
                        body: ImagePages.show(image, region: region, csrf: Console.csrfField(input), tagged: images.cloud is any ImageTagging))
        }

        table.htmlOnly("/{region}/image/register") { input in
            let region = try localRegion(input, for: "Images registered through the console")
            try input.require(.admin)
            return page(input, title: "Register image", section: .image, region: region,
                        body: ImagePages.form(region: region, values: input.fields, errors: [], csrf: Console.csrfField(input)))
        }

        table.post("/{region}/image/register", doc: EndpointDoc(
            summary: "Register a local image: a versioned command line, run without a shell (admin: it runs on this host)",
            tag: "Image",
            parameters: [.path("region", "A region of a local account"),
                         .field("name", "The application it packages", required: true),
                         .field("version", "Its version, e.g. 1.2.0", required: true),
                         .field("command", "The argv as a JSON array; in a form, one argument per line", required: true, type: "array"),
                         .field("env", "Environment variables: a JSON object, or KEY=value lines in a form", type: "object"),
                         .field("workingDirectory", "The absolute path its instances start in")],
            answers: [EndpointDoc.Answer(status: 201, description: "Registered; X-Task-Id names the task", schema: "Image"),
                      .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try localRegion(input, for: "Images registered through the console")
            try input.require(.admin)
            do {
                let draft = try imageDraft(input)
                input.audit.object("image", "\(draft.name ?? "") \(draft.version ?? "")", application: draft.name?.lowercased())
                let (image, task) = try await images.register(draft, user: input.userName, region: region)
                input.audit.object("image", image.imageId.rawValue, application: image.name)
                input.audit.task(task.id.rawValue)
                let location = "/\(region)/image/show/\(image.imageId).json"
                if input.wantsJSON { return try Responses.json(image, status: .created, headers: taskHeaders(task.id, location: location)) }
                return Responses.seeOther("/\(region)/image/show/\(image.imageId)")
            } catch let error as ConsoleError where !input.wantsJSON && error.code != .internal && error.code != .forbidden {
                input.audit.refused(error.message)
                return page(input, title: "Register image", section: .image, region: region,
                            body: ImagePages.form(region: region, values: input.fields,
                                                  errors: error.fieldErrors.isEmpty ? [FieldError(field: "", message: error.message)] : error.fieldErrors,
                                                  csrf: Console.csrfField(input)),
                            status: error.code.status)
            }
        }

        table.post("/{region}/image/delete", doc: EndpointDoc(
            summary: "Delete a local image no server group uses (admin, or the owner of its application)", tag: "Image",
            parameters: [.path("region", "A region of a local account"), .field("imageId", "The image's id", required: true)],
            answers: [.ok("Deleted"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            guard let id = input.fields["imageId"], !id.isEmpty else {
                throw ConsoleError.invalid("imageId", "is required: the image to delete, e.g. img-1a2b3c4d")
            }
            try input.require(.read)
            let image = try await images.show(id)
            input.audit.object("image", image.imageId.rawValue, application: image.name)
            if let app = try? AppName(validating: image.name) {
                try input.require(.changeApplication(app))
            } else {
                try input.require(.admin)
            }
            try input.requireConfirmation(of: image.imageId.rawValue, "image")
            let task = try await images.delete(id, user: input.userName, region: region)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON {
                return try Responses.json(DeletedJSON(name: image.imageId.rawValue, taskId: task.id.rawValue),
                                          headers: taskHeaders(task.id, location: nil))
            }
            return Responses.seeOther("/\(region)/image/list")
        }
    }

    func addImageTagRoute(to table: RouteTable) {
        table.post("/{region}/image/tag", doc: EndpointDoc(
            summary: "Set or remove tags of an AMI (AWS regions); the appversion tag names its application and version", tag: "Image",
            parameters: [.path("region", "An AWS region, e.g. us-east-1"), .field("imageId", "The AMI, e.g. ami-0abc1234", required: true),
                         .field("tags", "key=value entries to set", type: "array"), .field("removeTags", "Keys to remove", type: "array")],
            answers: [.ok("Image"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            try input.require(.read)
            let image = try await images.show(input.fields["imageId"] ?? "")
            input.audit.object("image", image.imageId.rawValue, application: image.name)
            // The application's deployers tag the AMIs they ship.
            if let app = try? AppName(validating: image.name) { try input.require(.deployApplication(app)) } else { try input.require(.admin) }
            let (tagged, task) = try await images.tag(input.fields, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(tagged, headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/image/show/\(tagged.imageId)")
        }
    }

    /// The region named in the path, of any account.
    func regionName(_ input: RouteInput) throws -> String {
        try region(named: input.context.parameters.get("region") ?? "", account: input.fields["account"]).1.rawValue
    }

    /// The region named in the path, which must belong to a local account for `what`.
    func localRegion(_ input: RouteInput, for what: String) throws -> String {
        let (account, region) = try region(named: input.context.parameters.get("region") ?? "", account: input.fields["account"])
        guard account.provider == "local" else {
            throw ConsoleError.notFound("\(what) exist only in regions of local accounts; '\(region)' belongs to \(account.provider) account '\(account.name)'")
        }
        return region.rawValue
    }

    private func imageDraft(_ input: RouteInput) throws -> ImageDraft {
        var command = input.fields.all("command")
        var env: [String: String]?
        if input.request.headers[.contentType]?.hasPrefix("application/json") == true {
            if let object = try? JSONSerialization.jsonObject(with: input.body) as? [String: Any] {
                if let value = object["command"], !(value is [Any]) {
                    throw ConsoleError.invalid("command", "must be a JSON array of strings such as [\"/usr/bin/env\", \"python3\"]")
                }
                if let value = object["env"] {
                    guard let map = value as? [String: Any], map.values.allSatisfy({ $0 is String }) else {
                        throw ConsoleError.invalid("env", "must be a JSON object of strings such as {\"LOG_LEVEL\": \"info\"}")
                    }
                    env = map.compactMapValues { $0 as? String }
                }
            }
        } else {
            // A form's textarea: one argument per line.
            if command.count == 1 {
                command = command[0].split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" })
                    .map { String($0) }
            }
            if let text = input.fields["env"] {
                do { env = try ImageDraft.parseEnvironment(text) } catch { throw ConsoleError.invalid(error.field, error.message) }
            }
        }
        return ImageDraft(name: input.fields["name"], version: input.fields["version"], command: command, env: env,
                          workingDirectory: input.fields["workingDirectory"])
    }
}
