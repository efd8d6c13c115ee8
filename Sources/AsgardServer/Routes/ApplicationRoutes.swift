import AsgardAPI
import AsgardCloud
import AsgardCore
import HTTPTypes
import Hummingbird

extension Console {
    /// `/application/…`: list, show, create, update, delete, and their pages.
    func addApplicationRoutes(to table: RouteTable) {
        let nameFields: [EndpointDoc.Parameter] = [
            .field("owner", "The team or person responsible", required: true),
            .field("email", "Where notifications go", required: true),
            .field("description", "What the application does"),
            .field("type", "'Web Service' (default), 'Web Application' or 'Standalone Application'"),
            .field("webhookUrl", "An http(s) URL that gets a JSON POST on each event of the application's deployments; empty removes it"),
        ]

        table.page("/application/list", doc: EndpointDoc(
            summary: "List applications", tag: "Application", answers: [.ok("[Application]")]
        )) { input in
            let apps = try await applications.list()
            if input.wantsJSON { return try Responses.json(apps) }
            return page(input, title: "Applications", section: .app, body: ApplicationPages.list(apps))
        }

        table.page("/application/show/{name}", doc: EndpointDoc(
            summary: "Show an application", tag: "Application",
            parameters: [.path("name", "The application's name")],
            answers: [.ok("Application"), .notFound]
        )) { input in
            let app = try await applications.show(input.path("name"))
            if input.wantsJSON {
                // Kept while no region's cache changes (and the record does not): only possible
                // when every region has a cache generation (AWS); the local cloud is read anew.
                return try await encodedLists.answer(input, key: "application \(app.name.rawValue)", generation: appGeneration(app)) {
                    (try APIJSON.encoder().encode(ApplicationJSON(app: app, regions: await clustersByRegion(of: app.name.rawValue))), nil)
                }
            }
            let regions = await clustersByRegion(of: app.name.rawValue)
            let recent = try await tasks.tasks(.init(objectType: .application, objectId: app.name.rawValue, limit: 20))
            let clusters = regions.flatMap { region in region.clusters.map { (region.region, $0.cluster) } }
            var filter = DeploymentPages.Filter()
            filter.application = app.name.rawValue
            let deployed = Array(try await deployments(filter).prefix(20))
            return page(input, title: app.name.rawValue, section: .app,
                        body: ApplicationPages.show(app, tasks: recent.tasks, csrf: Console.csrfField(input), clusters: clusters,
                                                    deployments: deployed, now: now()))
        }

        table.htmlOnly("/application/create") { input in
            page(input, title: "Create application", section: .app,
                 body: ApplicationPages.form(.create, values: input.fields, errors: [], csrf: Console.csrfField(input)))
        }

        table.htmlOnly("/application/edit/{name}") { input in
            let app = try await applications.show(input.path("name"))
            return page(input, title: "Edit \(app.name)", section: .app,
                        body: ApplicationPages.form(.edit, values: ApplicationPages.fields(of: app), errors: [], csrf: Console.csrfField(input)))
        }

        table.post("/application/save", doc: EndpointDoc(
            summary: "Register an application", tag: "Application",
            parameters: [.field("name", "At most 28 characters of a-z, 0-9, '.' and '_'; stored lower-case", required: true)] + nameFields,
            answers: [EndpointDoc.Answer(status: 201, description: "Registered; X-Task-Id names the task", schema: "Application"),
                      .badRequest, .conflict]
        )) { input in
            try authorizeApplicationChange(input)
            do {
                let (app, task) = try await applications.create(draft(from: input.fields), user: user(of: input))
                input.audit.task(task.id.rawValue)
                if input.wantsJSON {
                    return try Responses.json(app, status: .created, headers: taskHeaders(task.id, location: "/application/show/\(app.name).json"))
                }
                return Responses.seeOther("/application/show/\(HTML.pathSegment(app.name.rawValue))")
            } catch let error as ConsoleError where !input.wantsJSON && error.code != .internal {
                input.audit.refused(error.message)
                return page(input, title: "Create application", section: .app,
                            body: ApplicationPages.form(.create, values: input.fields, errors: errorsForForm(error), csrf: Console.csrfField(input)),
                            status: error.code.status)
            }
        }

        table.post("/application/update", doc: EndpointDoc(
            summary: "Change an application's owner, email, description, type or webhook; absent fields keep their values",
            tag: "Application",
            parameters: [.field("name", "The application to change", required: true)]
                + nameFields.map { var f = $0; f.required = false; return f },
            answers: [.ok("Application", "Updated; X-Task-Id names the task"), .badRequest, .notFound]
        )) { input in
            try authorizeApplicationChange(input, needs: { .deployApplication($0) })
            do {
                let (app, task) = try await applications.update(draft(from: input.fields), user: user(of: input))
                input.audit.task(task.id.rawValue)
                if input.wantsJSON {
                    return try Responses.json(app, headers: taskHeaders(task.id, location: nil))
                }
                return Responses.seeOther("/application/show/\(HTML.pathSegment(app.name.rawValue))")
            } catch let error as ConsoleError where !input.wantsJSON && error.code == .invalidRequest {
                input.audit.refused(error.message)
                return page(input, title: "Edit application", section: .app,
                            body: ApplicationPages.form(.edit, values: input.fields, errors: errorsForForm(error), csrf: Console.csrfField(input)),
                            status: error.code.status)
            }
        }

        table.post("/application/delete", doc: EndpointDoc(
            summary: "Delete an application that no longer owns server groups, load balancers or images",
            tag: "Application",
            parameters: [.field("name", "The application to delete", required: true)],
            answers: [.ok("Deleted"), .badRequest, .notFound, .conflict]
        )) { input in
            guard let name = input.fields["name"], !name.isEmpty else {
                throw ConsoleError.invalid("name", "is required: the application to delete")
            }
            try authorizeApplicationChange(input)
            // People in a browser type the name again; scripts and the CLI (with --force) need not.
            if !input.wantsJSON, input.fields["confirm"]?.lowercased() != name.lowercased() {
                let message = "Type the application's name '\(name)' to confirm the deletion"
                input.audit.refused(message)
                let app = try await applications.show(name)
                let recent = try await tasks.tasks(.init(objectType: .application, objectId: app.name.rawValue, limit: 20))
                return page(input, title: app.name.rawValue, section: .app,
                            body: "<div class=\"flash error\" id=\"form-error\">\(HTML.escape(message))</div>"
                                + ApplicationPages.show(app, tasks: recent.tasks, csrf: Console.csrfField(input), openDelete: true),
                            status: .badRequest)
            }
            let task = try await applications.delete(name, user: user(of: input))
            input.audit.task(task.id.rawValue)
            if input.wantsJSON {
                return try Responses.json(DeletedJSON(name: task.objectId, taskId: task.id.rawValue),
                                          headers: taskHeaders(task.id, location: nil))
            }
            return Responses.seeOther("/task/show/\(task.id)")
        }
    }

    /// Registering or deleting an application needs admin or the owner role on it; changing its
    /// details, the owner or deployer role. A name that is not valid is left to validation (a
    /// 400): no application can have it, so nothing can change.
    private func authorizeApplicationChange(_ input: RouteInput,
                                            needs permission: (AppName) -> Permission = { .changeApplication($0) }) throws {
        try input.require(.read)
        let raw = input.fields["name"] ?? ""
        input.audit.object("application", raw.lowercased(), application: raw.lowercased())
        guard let name = try? AppName(validating: raw) else { return }
        try input.require(permission(name))
    }

    private func draft(from fields: FormFields) -> AppDraft {
        AppDraft(name: fields["name"], owner: fields["owner"], email: fields["email"],
                 description: fields["description"], type: fields["type"], webhookUrl: fields["webhookUrl"])
    }

    private func errorsForForm(_ error: ConsoleError) -> [FieldError] {
        error.fieldErrors.isEmpty ? [FieldError(field: "", message: error.message)] : error.fieldErrors
    }

    /// `X-Task-Id` and, when given, `Location` for a change's answer.
    func taskHeaders(_ id: TaskID, location: String?) -> HTTPFields {
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("X-Task-Id")!] = id.description
        if let location { headers[.location] = location }
        return headers
    }

    /// The regions an application's clusters are read from: the local cloud once (its regions
    /// share it), then each AWS region by name.
    var applicationRegions: [Regional] {
        [home] + regionals.values.filter { !$0.isLocal }.sorted { $0.region.rawValue < $1.region.rawValue }
    }

    /// A number that changes when the application's record or any region's cache changes; nil
    /// when a region has no cache generation (the local cloud).
    func appGeneration(_ app: AppRecord) -> UInt64? {
        var hasher = Hasher()
        hasher.combine(app)
        for regional in applicationRegions {
            guard let generation = regional.cloud.cacheStatus?.generation else { return nil }
            hasher.combine(regional.region)
            hasher.combine(generation)
        }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// The application's clusters in every region: the local cloud once (its regions share it),
    /// each AWS region's from its cache; a region that cannot be read now says why.
    func clustersByRegion(of app: String) async -> [RegionClustersJSON] {
        var found: [RegionClustersJSON] = []
        for regional in applicationRegions {
            do {
                let clusters = try await Console.$scope.withValue(regional) { try await clusterList(app: app) }
                found.append(RegionClustersJSON(account: regional.account.name.rawValue, region: regional.region.rawValue, clusters: clusters))
            } catch {
                let message = (error as? ConsoleError)?.message ?? (error as? CloudError)?.message ?? "cannot be read now"
                found.append(RegionClustersJSON(account: regional.account.name.rawValue, region: regional.region.rawValue, clusters: [],
                                                error: InputLimits.echoed(message)))
            }
        }
        return found
    }
}
