import AsgardAPI
import AsgardCore

/// Builds the OpenAPI 3.1 description of every JSON endpoint from the route table, so the
/// document cannot drift from the routes.
enum OpenAPIDocument {
    static func build(_ endpoints: [Endpoint]) -> JSONValue {
        var paths: [String: [String: JSONValue]] = [:]
        for endpoint in endpoints {
            guard let doc = endpoint.doc else { continue }
            paths[endpoint.documentedPath, default: [:]][endpoint.method.rawValue.lowercased()] = operation(endpoint, doc)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Asgard",
                "version": .string(AsgardVersion.version),
                "description": "The JSON API of the Asgard deployment console. Conventions: docs/api.md.",
            ],
            "paths": .object(paths.mapValues { .object($0) }),
            "security": [["bearer": []], ["session": []]],
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer", "description": "An API token from /token/create or `asgard login`"],
                    "session": ["type": "apiKey", "in": "cookie", "name": "asgard_session",
                                "description": "A browser session from /auth/login; POSTs also need the _csrf field"],
                ],
            ],
        ]
    }

    /// A scalar's schema; a number's with its range from `InputLimits.documented`.
    private static func scalarSchema(_ p: EndpointDoc.Parameter) -> JSONValue {
        guard p.type == "integer" || p.type == "number", let range = InputLimits.documented[p.name] else { return ["type": .string(p.type)] }
        func bound(_ value: Double) -> JSONValue { p.type == "integer" ? .int(Int(value)) : .number(value) }
        return ["type": .string(p.type), "minimum": bound(range.lowerBound), "maximum": bound(range.upperBound)]
    }

    private static func operation(_ endpoint: Endpoint, _ doc: EndpointDoc) -> JSONValue {
        var op: [String: JSONValue] = [
            "summary": .string(doc.summary),
            "tags": [.string(doc.tag)],
            "operationId": .string(operationId(endpoint)),
        ]
        let parameters = doc.parameters.filter { $0.location != .body }.map { p -> JSONValue in
            ["name": .string(p.name), "in": .string(p.location.rawValue), "required": .bool(p.required),
             "description": .string(p.description), "schema": scalarSchema(p)]
        }
        if !parameters.isEmpty { op["parameters"] = .array(parameters) }
        if endpoint.access == .open { op["security"] = [] }
        let fields = doc.parameters.filter { $0.location == .body }
        if !fields.isEmpty {
            var properties: [String: JSONValue] = [:]
            for f in fields {
                switch f.type {
                case "array":
                    properties[f.name] = ["type": "array", "items": ["type": "string"], "description": .string(f.description)]
                case "object":
                    properties[f.name] = ["type": ["object", "string"], "additionalProperties": ["type": "string"],
                                          "description": .string(f.description)]
                default:
                    var schema = scalarSchema(f)
                    if case .object(var members) = schema {
                        members["description"] = .string(f.description)
                        schema = .object(members)
                    }
                    properties[f.name] = schema
                }
            }
            let schema: JSONValue = [
                "type": "object", "properties": .object(properties),
                "required": .array(fields.filter(\.required).map { .string($0.name) }),
            ]
            op["requestBody"] = [
                "required": true,
                "content": ["application/x-www-form-urlencoded": ["schema": schema], "application/json": ["schema": schema]],
            ]
        } else if let bodySchema = doc.bodySchema {
            op["requestBody"] = ["required": true, "content": ["application/json": ["schema": ref(bodySchema)]]]
        }
        var responses: [String: JSONValue] = [:]
        for answer in doc.answers {
            var response: [String: JSONValue] = ["description": .string(answer.description)]
            if answer.plainText, let schema = answer.schema {
                // Plain text, or JSON when asked for (the health check's detail).
                response["content"] = ["text/plain": ["schema": ["type": "string"]], "application/json": ["schema": ref(schema)]]
            } else if answer.plainText {
                response["content"] = ["text/plain": ["schema": ["type": "string"]]]
            } else if let schema = answer.schema {
                response["content"] = ["application/json": ["schema": ref(schema)]]
            }
            responses[String(answer.status)] = .object(response)
        }
        responses["500"] = ["description": "Internal error; the body names the request id", "content": ["application/json": ["schema": ref("Error")]]]
        op["responses"] = .object(responses)
        return .object(op)
    }

    private static func operationId(_ endpoint: Endpoint) -> String {
        let words = endpoint.documentedPath.split(whereSeparator: { "/{}.".contains($0) }).map(String.init)
        return endpoint.method.rawValue.lowercased() + words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    private static func ref(_ name: String) -> JSONValue {
        if name.hasPrefix("[") {
            return ["type": "array", "items": ref(String(name.dropFirst().dropLast()))]
        }
        return ["$ref": .string("#/components/schemas/\(name)")]
    }

    private static func string(_ description: String) -> JSONValue {
        ["type": "string", "description": .string(description)]
    }

    private static let dateTime: JSONValue = ["type": "string", "format": "date-time"]
    private static let healthSummary: JSONValue = ["type": "string", "enum": .array(HealthSummary.allCases.map { .string($0.rawValue) })]

    private static var schemas: [String: JSONValue] {
        let taskProperties: [String: JSONValue] = [
            "id": ["type": "integer"], "operation": string("What the task does"),
            "objectType": ["type": "string", "enum": .array(TaskObjectType.allCases.map { .string($0.rawValue) })],
            "objectId": string("The object's id or name"), "user": string("Who asked for it"),
            "region": ["type": ["string", "null"]],
            "status": ["type": "string", "enum": .array(TaskStatus.allCases.map { .string($0.rawValue) })],
            "startTime": dateTime, "updateTime": dateTime, "url": string("The task's JSON address"),
            "parentId": ["type": "integer", "description": "The task this one is a step of (a deployment's group changes); absent for a person's action"],
        ]
        var withLog = taskProperties
        withLog["log"] = ["type": "array", "items": ["type": "object", "required": ["time", "message"],
                                                     "properties": ["time": dateTime, "message": ["type": "string"]]]]
        let taskRequired: JSONValue = ["id", "operation", "objectType", "objectId", "user", "status", "startTime", "updateTime", "url"]
        return [
            "Application": [
                "type": "object",
                "required": ["name", "owner", "email", "description", "type", "createTime", "updateTime"],
                "properties": [
                    "name": string("Unique, lower-case"), "owner": string("The team or person responsible"),
                    "email": string("Where notifications go"), "description": string("What it does"),
                    "type": ["type": "string", "enum": .array(AppType.allCases.map { .string($0.rawValue) })],
                    "createTime": dateTime, "updateTime": dateTime,
                    "webhookUrl": string("Where deployment events go, as a JSON POST"),
                    "regions": ["type": "array", "description": "GET /application/show only: the application's clusters in each region",
                                "items": ref("RegionClusters")],
                ],
            ],
            "RegionClusters": [
                "type": "object", "required": ["account", "region", "clusters"],
                "properties": ["account": ["type": "string"], "region": ["type": "string"],
                               "clusters": ["type": "array", "items": ref("Cluster")], "error": ["type": "string"]],
            ],
            "TaskSummary": ["type": "object", "required": taskRequired, "properties": .object(taskProperties)],
            "Task": ["type": "object", "required": taskRequired, "properties": .object(withLog)],
            "TaskAccepted": ["type": "object", "required": ["taskId", "taskUrl"],
                             "properties": ["taskId": ["type": "integer"], "taskUrl": ["type": "string"]]],
            "Deleted": ["type": "object", "required": ["name", "deleted", "taskId"],
                        "properties": ["name": ["type": "string"], "deleted": ["type": "boolean"], "taskId": ["type": "integer"]]],
            "Error": [
                "type": "object", "required": ["error"],
                "properties": ["error": [
                    "type": "object", "required": ["code", "message"],
                    "properties": ["code": ["type": "string"], "message": ["type": "string"],
                                   "field": ["type": "string"], "requestId": ["type": "string"]],
                ]],
            ],
            "GeneratedName": ["type": "object", "required": ["groupName", "envVars"],
                              "properties": ["groupName": ["type": "string"],
                                             "envVars": ["type": "object", "additionalProperties": ["type": "string"]]]],
            "ServerVersion": ["type": "object", "required": ["name", "version", "apiVersion"],
                              "properties": ["name": ["type": "string"], "version": ["type": "string"], "apiVersion": ["type": "string"]]],
            "HealthDetail": ["type": "object", "required": ["status", "regions"],
                             "properties": ["status": ["type": "string"], "problem": ["type": "string"],
                                            "regions": ["type": "array", "items": ref("RegionCache")]]],
            "RegionCache": [
                "type": "object", "required": ["account", "region", "provider", "cached"],
                "properties": ["account": ["type": "string"], "region": ["type": "string"], "provider": ["type": "string"],
                               "cached": ["type": "boolean"], "generation": ["type": "integer"], "lastRead": dateTime,
                               "ageSeconds": ["type": "number"], "lastReadSeconds": ["type": "number"], "lastError": ["type": "string"],
                               "lastErrorAt": dateTime, "readingForSeconds": ["type": "number"]],
            ],
            "CacheRefresh": [
                "type": "object", "required": ["region", "refreshed", "seconds", "cache"],
                "properties": ["region": ["type": "string"], "refreshed": ["type": "string"], "seconds": ["type": "number"], "cache": ref("RegionCache")],
            ],
            "Account": ["type": "object", "required": ["name", "provider", "regions"],
                        "properties": ["name": ["type": "string"], "provider": ["type": "string"],
                                       "regions": ["type": "array", "items": ["type": "string"]]]],
            "Object": ["type": "object"],
            "Instance": [
                "type": "object",
                "required": ["instanceId", "autoScalingGroupName", "imageId", "lifecycleState", "healthStatus", "launchTime", "port"],
                "properties": [
                    "instanceId": string("i- and 17 hexadecimal digits"), "autoScalingGroupName": ["type": "string"],
                    "imageId": ["type": "string"],
                    "lifecycleState": ["type": "string", "enum": .array(LifecycleState.allCases.map { .string($0.rawValue) })],
                    "healthStatus": ["type": "string", "enum": .array(HealthStatus.allCases.map { .string($0.rawValue) })],
                    "launchTime": dateTime, "port": ["type": "integer"], "pid": ["type": "integer"], "startTicks": ["type": "integer"],
                    "statusReason": ["type": "string"],
                ],
            ],
            "ServerGroup": [
                "type": "object",
                "required": ["autoScalingGroupName", "cluster", "appName", "imageId", "minSize", "desiredCapacity", "maxSize",
                             "healthCheckType", "healthCheckGracePeriod", "terminationPolicies", "suspendedProcesses",
                             "loadBalancerNames", "securityGroups", "createdTime", "instances"],
                "properties": [
                    "autoScalingGroupName": ["type": "string"], "cluster": ["type": "string"], "appName": ["type": "string"],
                    "imageId": ["type": "string"], "minSize": ["type": "integer"], "desiredCapacity": ["type": "integer"],
                    "maxSize": ["type": "integer"], "healthCheckType": ["type": "string", "enum": ["EC2", "ELB"]],
                    "healthCheckGracePeriod": ["type": "integer"],
                    "terminationPolicies": ["type": "array", "items": ["type": "string"]],
                    "suspendedProcesses": ["type": "array", "items": ["type": "string"]],
                    "loadBalancerNames": ["type": "array", "items": ["type": "string"]],
                    "securityGroups": ["type": "array", "items": ["type": "string"]],
                    "trafficState": ["type": "string", "enum": ["enabled", "disabled", "none"]],
                    "createdTime": dateTime, "instances": ["type": "array", "items": ref("Instance")],
                    "health": ["type": "object", "required": ["summary", "healthy", "desired"], "properties": [
                        "summary": healthSummary, "healthy": ["type": "integer"], "desired": ["type": "integer"], "reason": ["type": "string"]]],
                    "instanceHealth": ["type": "array", "items": ["type": "object", "required": ["instanceId", "summary", "loadBalancers"], "properties": [
                        "instanceId": ["type": "string"], "summary": healthSummary, "reason": ["type": "string"],
                        "loadBalancers": ["type": "array", "items": ["type": "object", "required": ["loadBalancer"], "properties": [
                            "loadBalancer": ["type": "string"], "state": ["type": "string", "enum": ["initial", "healthy", "unhealthy", "draining"]],
                            "reason": ["type": "string"]]]]]]],
                    "traffic": ["type": "object", "properties": [
                        "weightPercent": ["type": "number"], "servedPercent": ["type": "number"], "requestsPerSecond": ["type": "number"]]],
                ],
            ],
            "Replica": [
                "type": "object", "required": ["id", "version", "startTime", "heartbeatTime", "alive", "holds", "current"],
                "properties": ["id": ["type": "string"], "version": ["type": "string"], "startTime": dateTime, "heartbeatTime": dateTime,
                               "alive": ["type": "boolean"], "holds": ["type": "array", "items": ["type": "string"]], "current": ["type": "boolean"]],
            ],
            "SearchHit": [
                "type": "object", "required": ["kind", "name", "detail", "url"],
                "properties": ["kind": ["type": "string", "enum": ["application", "cluster", "serverGroup", "instance", "image", "loadBalancer"]],
                               "name": ["type": "string"], "detail": ["type": "string"], "url": ["type": "string"]],
            ],
            "Cluster": [
                "type": "object", "required": ["cluster", "autoScalingGroups"],
                "properties": ["cluster": ["type": "string"], "autoScalingGroups": ["type": "array", "items": ref("ServerGroup")]],
            ],
            "Deployment": [
                "type": "object",
                "required": ["id", "taskUrl", "cluster", "imageId", "strategy", "capacity", "status", "user", "startTime", "updateTime",
                             "previousGroups", "steps"],
                "properties": [
                    "id": ["type": "integer"], "taskUrl": ["type": "string"], "cluster": ["type": "string"], "imageId": ["type": "string"],
                    "strategy": ["type": "string", "enum": .array(DeploymentStrategy.allCases.map { .string($0.rawValue) })],
                    "capacity": ["type": "object", "properties": ["min": ["type": "integer"], "desired": ["type": "integer"], "max": ["type": "integer"]]],
                    "status": ["type": "string"], "user": ["type": "string"], "startTime": dateTime, "updateTime": dateTime,
                    "newGroup": ["type": "string"], "previousGroups": ["type": "array", "items": ["type": "string"]],
                    "steps": ["type": "array", "items": ["type": "object", "properties": [
                        "name": ["type": "string"], "description": ["type": "string"], "state": ["type": "string"], "finishedTime": dateTime,
                        "settings": ["type": "object"]]]],
                    "rollbackReason": ["type": "string"],
                    "log": ["type": "array", "items": ["type": "object"]],
                ],
            ],
            "SecurityGroup": [
                "type": "object",
                "required": ["groupId", "groupName", "description", "rules", "ingress"],
                "properties": [
                    "groupId": ["type": "string"], "groupName": ["type": "string"], "description": ["type": "string"], "vpcId": ["type": "string"],
                    "rules": ["type": "array", "items": ["type": "string"]],
                    "ingress": ["type": "array", "items": [
                        "type": "object", "required": ["ipProtocol", "fromPort", "toPort"],
                        "properties": ["ipProtocol": ["type": "string"], "fromPort": ["type": "integer"], "toPort": ["type": "integer"],
                                       "cidr": ["type": "string"], "sourceGroupId": ["type": "string"], "sourceGroupName": ["type": "string"]],
                    ]],
                ],
            ],
            "LoadBalancer": [
                "type": "object",
                "required": ["loadBalancerName", "type", "url", "listenerPort", "healthCheck", "algorithm", "drainingTimeout", "trafficWeights",
                             "createdTime", "serverGroups", "status"],
                "properties": [
                    "loadBalancerName": ["type": "string"], "url": ["type": "string"], "listenerPort": ["type": "integer"],
                    "type": ["type": "string", "enum": .array(LoadBalancerType.allCases.map { .string($0.rawValue) })],
                    "healthCheck": [
                        "type": "object",
                        "properties": ["target": ["type": "string"], "interval": ["type": "integer"], "timeout": ["type": "integer"],
                                       "healthyThreshold": ["type": "integer"], "unhealthyThreshold": ["type": "integer"]],
                    ],
                    "algorithm": ["type": "string", "enum": .array(BalancingAlgorithm.allCases.map { .string($0.rawValue) })],
                    "drainingTimeout": ["type": "integer"], "trafficWeights": ["type": "object", "additionalProperties": ["type": "integer"]],
                    "createdTime": dateTime, "serverGroups": ["type": "array", "items": ["type": "string"]], "status": ["type": "string"],
                    "traffic": ["type": "object", "description": "Health and traffic as the load balancer's process reported them last"],
                ],
            ],
            "Image": [
                "type": "object", "required": ["imageId", "name", "version", "command", "env", "createTime"],
                "properties": [
                    "imageId": string("img- and eight hexadecimal digits"), "name": string("The application it packages"),
                    "version": ["type": "string"], "command": ["type": "array", "items": ["type": "string"]],
                    "env": ["type": "object", "additionalProperties": ["type": "string"]],
                    "workingDirectory": ["type": "string"], "createTime": dateTime,
                ],
            ],
            "User": [
                "type": "object", "required": ["name", "roles", "applications", "createTime", "updateTime"],
                "properties": [
                    "name": ["type": "string"],
                    "roles": ["type": "array", "items": ["type": "string", "enum": .array(GlobalRole.allCases.map { .string($0.rawValue) })]],
                    "applications": ["type": "object", "additionalProperties": ["type": "string", "enum": .array(AppRole.allCases.map { .string($0.rawValue) })]],
                    "createTime": dateTime, "updateTime": dateTime,
                ],
            ],
            "Token": [
                "type": "object", "required": ["name", "user", "createTime"],
                "properties": ["name": ["type": "string"], "user": ["type": "string"], "createTime": dateTime,
                               "expiresTime": dateTime, "revokedTime": dateTime],
            ],
            "CreatedToken": [
                "type": "object", "required": ["name", "user", "token"],
                "properties": ["name": ["type": "string"], "user": ["type": "string"],
                               "token": string("The secret, shown only in this answer"), "expiresTime": dateTime],
            ],
            "WhoAmI": [
                "type": "object", "required": ["user", "roles", "applications", "via"],
                "properties": ["user": ["type": "string"], "roles": ["type": "array", "items": ["type": "string"]],
                               "applications": ["type": "object", "additionalProperties": ["type": "string"]],
                               "via": ["type": "string"], "tokenName": ["type": "string"], "token": ref("CreatedToken")],
            ],
            "AuditEntry": [
                "type": "object", "required": ["id", "time", "user", "action", "address", "outcome", "status", "message"],
                "properties": [
                    "id": ["type": "integer"], "time": dateTime, "user": ["type": "string"], "action": ["type": "string"],
                    "objectType": ["type": "string"], "objectId": ["type": "string"], "application": ["type": "string"],
                    "address": ["type": "string"],
                    "outcome": ["type": "string", "enum": .array(AuditOutcome.allCases.map { .string($0.rawValue) })],
                    "status": ["type": "integer"], "taskId": ["type": "integer"], "message": ["type": "string"],
                ],
            ],
        ]
    }
}
