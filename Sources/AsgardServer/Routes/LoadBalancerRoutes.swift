import AsgardAPI
import AsgardCore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `/{region}/loadBalancer/…` of the local cloud.
    func addLoadBalancerRoutes(to table: RouteTable) {
        let regionParameter = EndpointDoc.Parameter.path("region", "A region, e.g. local or us-east-1")

        table.page("/{region}/loadBalancer/list", doc: EndpointDoc(
            summary: "List load balancers with their health and traffic", tag: "Load balancer", parameters: [regionParameter],
            answers: [.ok("[LoadBalancer]"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            var all: [LoadBalancerJSON] = []
            for record in try await loadBalancers.cloud.loadBalancers() { all.append(try await loadBalancers.json(record)) }
            if input.wantsJSON { return try Responses.json(all) }
            return page(input, title: "Load balancers", section: .loadBalancer, region: region, body: LoadBalancerPages.list(all, region: region))
        }

        table.page("/{region}/loadBalancer/show/{name}", doc: EndpointDoc(
            summary: "Show a load balancer: settings, instance health, and traffic per server group and instance (counts by status class, latency percentiles and histogram)",
            tag: "Load balancer", parameters: [regionParameter, .path("name", "The load balancer, e.g. shop-prod")],
            answers: [.ok("LoadBalancer"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let balancer = try await loadBalancers.json(try await loadBalancers.show(input.path("name")))
            if input.wantsJSON { return try Responses.json(balancer) }
            return page(input, title: balancer.loadBalancerName, section: .loadBalancer, region: region,
                        body: LoadBalancerPages.show(balancer, region: region, csrf: Console.csrfField(input)))
        }

        table.htmlOnly("/{region}/loadBalancer/create") { input in
            let region = try regionName(input)
            return page(input, title: "Create load balancer", section: .loadBalancer, region: region,
                        body: LoadBalancerPages.form(region: region, types: loadBalancers.cloud.loadBalancerTypes, values: input.fields, errors: [], csrf: Console.csrfField(input)))
        }

        let settingFields: [EndpointDoc.Parameter] = [
            .field("target", "Health check path (default /health); 2xx passes"),
            .field("interval", "Seconds between checks of one instance (default 5)", type: "integer"),
            .field("timeout", "Seconds to wait for an answer (default 2)", type: "integer"),
            .field("healthyThreshold", "Passes that make an instance healthy (default 2)", type: "integer"),
            .field("unhealthyThreshold", "Failures that make an instance unhealthy (default 2)", type: "integer"),
            .field("algorithm", "round_robin (default) or least_outstanding_requests"),
            .field("drainingTimeout", "Seconds a deregistered instance may finish its requests (default 30)", type: "integer"),
            .field("idleTimeoutSeconds", "Seconds an instance may take to answer before the load balancer answers 504 (default 60; local load balancers)", type: "integer"),
            .field("trafficWeights", "serverGroup=weight entries; when set, groups left out get no traffic; empty removes them", type: "array"),
        ]
        table.post("/{region}/loadBalancer/save", doc: EndpointDoc(
            summary: "Create a load balancer: locally a reverse proxy on 127.0.0.1:listenerPort in a process of its own; in an AWS region a classic or application load balancer",
            tag: "Load balancer",
            parameters: [regionParameter, .field("name", "app[-stack[-detail]], at most 32 letters, digits and hyphens", required: true),
                         .field("listenerPort", "The port it listens on (locally on 127.0.0.1)", required: true, type: "integer"),
                         .field("type", "proxy (local regions), classic (AWS default) or application (AWS; splits traffic by weight, for canaries)")] + settingFields,
            answers: [EndpointDoc.Answer(status: 201, description: "Created; X-Task-Id names the task", schema: "LoadBalancer"),
                      .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            let name = (input.fields["name"] ?? "").lowercased()
            let app = LoadBalancerName(rawValue: name).appName
            input.audit.object("loadBalancer", name, application: app)
            try input.require(.read)
            if let appName = try? AppName(validating: app) { try input.require(.deployApplication(appName)) }
            do {
                let (record, task) = try await loadBalancers.create(input.fields, user: input.userName)
                input.audit.task(task.id.rawValue)
                let path = "/\(region)/loadBalancer/show/\(record.loadBalancerName)"
                if input.wantsJSON {
                    return try Responses.json(try await loadBalancers.json(record), status: .created,
                                              headers: taskHeaders(task.id, location: path + ".json"))
                }
                return Responses.seeOther(path)
            } catch let error as ConsoleError where !input.wantsJSON && error.code == .invalidRequest {
                input.audit.refused(error.message)
                return page(input, title: "Create load balancer", section: .loadBalancer, region: region,
                            body: LoadBalancerPages.form(region: region, types: loadBalancers.cloud.loadBalancerTypes, values: input.fields, errors: error.fieldErrors, csrf: Console.csrfField(input)),
                            status: .badRequest)
            }
        }

        table.post("/{region}/loadBalancer/update", doc: EndpointDoc(
            summary: "Change a load balancer's listener port, health check, algorithm, draining timeout or traffic weights", tag: "Load balancer",
            parameters: [regionParameter, .field("name", "The load balancer", required: true),
                         .field("listenerPort", "A new port on 127.0.0.1 (the process restarts)", type: "integer")] + settingFields,
            answers: [.ok("LoadBalancer"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            try await authorizeLoadBalancer(input)
            let (record, task) = try await loadBalancers.update(input.fields, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(try await loadBalancers.json(record), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/loadBalancer/show/\(record.loadBalancerName)")
        }

        table.post("/{region}/loadBalancer/delete", doc: EndpointDoc(
            summary: "Delete a load balancer; refused while server groups use it", tag: "Load balancer",
            parameters: [regionParameter, .field("name", "The load balancer", required: true)],
            answers: [.ok("Deleted"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            let name = try await authorizeLoadBalancer(input)
            try input.requireConfirmation(of: name, "load balancer")
            let task = try await loadBalancers.delete(name, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(DeletedJSON(name: name, taskId: task.id.rawValue), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/loadBalancer/list")
        }
    }

    @discardableResult
    private func authorizeLoadBalancer(_ input: RouteInput) async throws -> String {
        guard let name = input.fields["name"], !name.isEmpty else { throw ConsoleError.invalid("name", "is required: the load balancer") }
        try input.require(.read)
        let record = try await loadBalancers.show(name)
        let app = record.loadBalancerName.appName
        input.audit.object("loadBalancer", record.loadBalancerName.rawValue, application: app)
        try input.require(.deployApplication(AppName(rawValue: app)))
        return record.loadBalancerName.rawValue
    }
}
