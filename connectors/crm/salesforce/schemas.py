"""JSON Schemas of the Salesforce actions (the editor renders each node's form from them)."""

from __future__ import annotations

from typing import Any

SOBJECT: dict[str, Any] = {
    "type": "string",
    "title": "Object",
    "description": "API name, e.g. Account, Contact, Opportunity, Project__c",
    "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
    "default": "Account",
}
RECORD_ID: dict[str, Any] = {"type": "string", "title": "Record id", "minLength": 15, "maxLength": 18}
FIELDS: dict[str, Any] = {
    "type": "object",
    "title": "Fields",
    "description": 'Field API names and values, e.g. {"Name": "Acme", "Industry": "Consulting"}',
}
EXTERNAL_FIELD: dict[str, Any] = {
    "type": "string",
    "title": "External id field",
    "description": "A field marked External ID (or Id), e.g. External_Id__c",
    "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
    "default": "External_Id__c",
}
ALL_OR_NONE: dict[str, Any] = {
    "type": "boolean",
    "title": "All or none",
    "description": "Roll back the whole batch of up to 200 records if one fails",
    "default": False,
}
MAX_RECORDS: dict[str, Any] = {
    "type": "integer",
    "title": "Maximum records",
    "minimum": 1,
    "maximum": 100000,
    "default": 2000,
}

WRITE_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "success"],
    "properties": {
        "id": {"type": ["string", "null"]},
        "success": {"type": "boolean"},
        "created": {"type": ["boolean", "null"]},
    },
}
BATCH_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["success"],
    "properties": {
        "id": {"type": ["string", "null"]},
        "success": {"type": "boolean"},
        "created": {"type": ["boolean", "null"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "code": {"type": ["string", "null"]},
                    "message": {"type": ["string", "null"]},
                    "fields": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "input": {"type": "object"},
    },
}
RECORD: dict[str, Any] = {
    "type": "object",
    "description": "One record with the selected fields (attributes removed)",
    "properties": {"Id": {"type": "string"}},
}

QUERY_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["soql"],
    "additionalProperties": False,
    "properties": {
        "soql": {
            "type": "string",
            "title": "SOQL query",
            "minLength": 1,
            "description": "e.g. SELECT Id, Name FROM Account WHERE Industry = 'Consulting'",
            "x-widget": "code",
        },
        "max_records": MAX_RECORDS,
        "include_deleted": {
            "type": "boolean",
            "title": "Include deleted and archived records (queryAll)",
            "default": False,
        },
        "page_size": {
            "type": "integer",
            "title": "Records per page",
            "description": "Sforce-Query-Options batchSize (200 to 2000); a hint, not a guarantee",
            "minimum": 200,
            "maximum": 2000,
        },
    },
}
GET_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "id"],
    "additionalProperties": False,
    "properties": {
        "sobject": SOBJECT,
        "id": RECORD_ID,
        "fields": {"type": "array", "title": "Fields (empty: all)", "items": {"type": "string"}},
    },
}
OPTIONAL_EXTERNAL_FIELD: dict[str, Any] = {
    **EXTERNAL_FIELD,
    "title": "External id field (replay-safe create)",
    "description": "A field marked External ID on this object: the create becomes an upsert keyed by its "
    "value in Fields, else by the step's idempotency key. Empty: a plain create.",
    "pattern": "^([A-Za-z][A-Za-z0-9_]*)?$",
    "default": "",
}
CREATE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "fields"],
    "additionalProperties": False,
    "properties": {"sobject": SOBJECT, "fields": FIELDS, "external_id_field": OPTIONAL_EXTERNAL_FIELD},
}
UPDATE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "id", "fields"],
    "additionalProperties": False,
    "properties": {"sobject": SOBJECT, "id": RECORD_ID, "fields": FIELDS},
}
UPSERT_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "external_id_field", "external_id", "fields"],
    "additionalProperties": False,
    "properties": {
        "sobject": SOBJECT,
        "external_id_field": EXTERNAL_FIELD,
        "external_id": {"type": ["string", "number"], "title": "External id value", "minLength": 1},
        "fields": FIELDS,
    },
}
DELETE_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "id"],
    "additionalProperties": False,
    "properties": {
        "sobject": SOBJECT,
        "id": RECORD_ID,
        "ignore_missing": {"type": "boolean", "title": "Succeed if already deleted", "default": False},
    },
}
CREATE_MANY_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "record"],
    "additionalProperties": False,
    "properties": {
        "sobject": SOBJECT,
        "record": {**FIELDS, "title": "Record"},
        "external_id_field": OPTIONAL_EXTERNAL_FIELD,
        "all_or_none": ALL_OR_NONE,
    },
}
UPDATE_MANY_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "record"],
    "additionalProperties": False,
    "properties": {
        "sobject": SOBJECT,
        "record": {
            **FIELDS,
            "title": "Record (with Id)",
            "required": ["Id"],
            "properties": {"Id": {"type": "string", "title": "Id"}},
        },
        "all_or_none": ALL_OR_NONE,
    },
}
UPSERT_MANY_INPUT: dict[str, Any] = {
    "type": "object",
    "required": ["sobject", "external_id_field", "record"],
    "additionalProperties": False,
    "properties": {
        "sobject": SOBJECT,
        "external_id_field": EXTERNAL_FIELD,
        "record": {**FIELDS, "title": "Record (with the external id field)"},
        "all_or_none": ALL_OR_NONE,
    },
}

UPDATED_TRIGGER_CONFIG: dict[str, Any] = {
    "type": "object",
    "required": ["sobject"],
    "additionalProperties": False,
    "properties": {
        "sobject": SOBJECT,
        "fields": {
            "type": "array",
            "title": "Fields to return",
            "items": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_.]*$"},
            "default": ["Name"],
        },
        "where": {"type": "string", "title": "Extra SOQL condition", "description": "e.g. Type = 'Customer'"},
        "since": {
            "type": "string",
            "title": "Start from (ISO date-time)",
            "description": "Empty: only changes after the trigger is switched on",
        },
        "timestamp_field": {
            "type": "string",
            "title": "Timestamp field",
            "enum": ["LastModifiedDate", "SystemModstamp", "CreatedDate"],
            "default": "LastModifiedDate",
        },
        "max_records": {**MAX_RECORDS, "title": "Maximum records per poll", "default": 500},
    },
}
