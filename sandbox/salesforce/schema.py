"""Salesforce object model served by the sandbox: the standard CRM objects here, the Certinia (pse__) PSA
objects from certinia/schema.py, one model for the routes and SOQL; ids; formula fields.

Field spec: "Name:type" or "Name:ref:Target". Type `extid` is a text field marked External ID (upsert key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .certinia import schema as certinia

_COMMON = (
    "Id:id CreatedDate:datetime LastModifiedDate:datetime SystemModstamp:datetime IsDeleted:boolean "
    "CreatedById:ref:User LastModifiedById:ref:User"
)

_STANDARD_SPECS: dict[str, dict[str, str]] = {
    "User": {
        "prefix": "005",
        "required": "Username LastName Email",
        "readonly": "Name",
        "fields": "Username:string FirstName:string LastName:string Name:string Email:email IsActive:boolean "
        "Title:string Department:string Phone:phone",
    },
    "Account": {
        "prefix": "001",
        "required": "Name",
        "fields": "Name:string AccountNumber:string Type:picklist Industry:picklist Phone:phone Website:url "
        "BillingStreet:textarea BillingCity:string BillingState:string BillingPostalCode:string "
        "BillingCountry:string NumberOfEmployees:int AnnualRevenue:currency Description:textarea "
        "OwnerId:ref:User ParentId:ref:Account External_Id__c:extid Flowbuilder_Id__c:extid "
        "NetSuite_Id__c:extid Dynamics_Id__c:extid",
    },
    "Contact": {
        "prefix": "003",
        "required": "LastName",
        "readonly": "Name",
        "fields": "AccountId:ref:Account FirstName:string LastName:string Name:string Email:email "
        "Phone:phone Title:string Department:string MailingCity:string MailingCountry:string "
        "OwnerId:ref:User External_Id__c:extid Flowbuilder_Id__c:extid pse__Is_Resource__c:boolean "
        "pse__Is_Resource_Active__c:boolean pse__Resource_Role__c:picklist "
        "pse__Default_Cost_Rate__c:currency pse__Salesforce_User__c:ref:User Kantata_Id__c:extid",
    },
    "Product2": {
        "prefix": "01t",
        "required": "Name",
        "fields": "Name:string ProductCode:string Family:picklist IsActive:boolean Description:textarea",
    },
    "Pricebook2": {
        "prefix": "01s",
        "required": "Name",
        "fields": "Name:string IsActive:boolean IsStandard:boolean Description:textarea",
    },
    "PricebookEntry": {
        "prefix": "01u",
        "required": "Pricebook2Id Product2Id UnitPrice",
        "fields": "Name:string Pricebook2Id:ref:Pricebook2 Product2Id:ref:Product2 UnitPrice:currency "
        "IsActive:boolean ProductCode:string",
    },
    "Opportunity": {
        "prefix": "006",
        "required": "Name StageName CloseDate",
        "readonly": "IsClosed IsWon",
        "fields": "Name:string AccountId:ref:Account StageName:picklist CloseDate:date Amount:currency "
        "Probability:percent Type:picklist LeadSource:picklist ForecastCategoryName:picklist "
        "IsClosed:boolean IsWon:boolean NextStep:string Description:textarea OwnerId:ref:User "
        "Pricebook2Id:ref:Pricebook2 External_Id__c:extid Flowbuilder_Id__c:extid",
    },
    "OpportunityLineItem": {
        "prefix": "00k",
        "required": "OpportunityId Quantity",
        "readonly": "Name TotalPrice",
        "fields": "Name:string OpportunityId:ref:Opportunity Product2Id:ref:Product2 "
        "PricebookEntryId:ref:PricebookEntry ProductCode:string Quantity:double UnitPrice:currency "
        "TotalPrice:currency ServiceDate:date Description:string",
    },
}

_OBJECTS = {**_STANDARD_SPECS, **certinia.OBJECT_SPECS}
AUTONUMBER = certinia.AUTONUMBER  # only Certinia's objects auto-number their Name


@dataclass
class FieldDef:
    name: str
    type: str
    target: str | None = None

    @property
    def relationship(self) -> str | None:
        """Relationship name used in SOQL dot notation: AccountId -> Account, pse__Project__c -> __r."""
        if self.type != "reference":
            return None
        if self.name.endswith("__c"):
            return self.name[:-3] + "__r"
        return self.name[:-2] if self.name.endswith("Id") else self.name


@dataclass
class ObjectDef:
    name: str
    prefix: str
    fields: dict[str, FieldDef]
    required: tuple[str, ...]
    readonly: frozenset[str]
    relationships: dict[str, FieldDef] = field(default_factory=dict)

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")


def _build() -> dict[str, ObjectDef]:
    objects = {}
    for name, spec in _OBJECTS.items():
        fields: dict[str, FieldDef] = {}
        for item in f"{_COMMON} {spec['fields']}".split():
            parts = item.split(":")
            if parts[1] == "ref":
                fields[parts[0]] = FieldDef(parts[0], "reference", parts[2])
            else:
                fields[parts[0]] = FieldDef(parts[0], parts[1])
        readonly = set(spec.get("readonly", "").split()) | {
            "Id",
            "CreatedDate",
            "LastModifiedDate",
            "SystemModstamp",
            "IsDeleted",
            "CreatedById",
            "LastModifiedById",
        }
        obj = ObjectDef(name, spec["prefix"], fields, tuple(spec["required"].split()), frozenset(readonly))
        obj.relationships = {f.relationship: f for f in fields.values() if f.relationship}
        objects[name] = obj
    return objects


OBJECTS = _build()
PREFIXES = {o.prefix: o.name for o in OBJECTS.values()}
SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "int": "xsd:int",
}


def lookup(name: str) -> ObjectDef | None:
    """Case-insensitive object lookup, as the API treats sObject names."""
    obj = OBJECTS.get(name)
    if obj:
        return obj
    lowered = name.lower()
    return next((o for o in OBJECTS.values() if o.name.lower() == lowered), None)


def field_of(obj: ObjectDef, name: str) -> FieldDef | None:
    found = obj.fields.get(name)
    if found:
        return found
    lowered = name.lower()
    return next((f for f in obj.fields.values() if f.name.lower() == lowered), None)


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def id18(id15: str) -> str:
    """Salesforce's case-safe suffix: one char per 5-char chunk encoding which chars are upper case."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _ALPHABET[bits]
    return id15 + suffix


def make_id(prefix: str, number: int) -> str:
    digits = ""
    for _ in range(7):
        number, rem = divmod(number, 62)
        digits = _BASE62[rem] + digits
    return id18(f"{prefix}Dn000{digits}")


def normalize_id(value: str) -> str | None:
    """Accept 15- or 18-char ids; return the 18-char form, None when malformed."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isalnum():
        return None
    full = id18(value[:15])
    if len(value) == 18 and full.lower() != value.lower():
        return None
    return full


STAGE_PROBABILITY = {
    "Prospecting": 10,
    "Qualification": 10,
    "Needs Analysis": 20,
    "Value Proposition": 50,
    "Proposal/Price Quote": 75,
    "Negotiation/Review": 90,
    "Closed Won": 100,
    "Closed Lost": 0,
}


def derive(obj: str, record: dict[str, Any], peek: Any) -> None:
    """Formula and roll-up style fields the platform computes (also used by the seeder)."""
    if obj in ("Contact", "User"):
        record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName")) if p)
    elif obj == "Opportunity":
        stage = record.get("StageName") or ""
        record["IsClosed"] = stage.startswith("Closed")
        record["IsWon"] = stage == "Closed Won"
        if record.get("Probability") is None:
            record["Probability"] = STAGE_PROBABILITY.get(stage, 10)
    elif obj == "OpportunityLineItem":
        quantity, price = record.get("Quantity") or 0, record.get("UnitPrice")
        entry = peek("salesforce", "PricebookEntry", record.get("PricebookEntryId") or "")
        if entry:
            record.setdefault("Product2Id", entry.get("Product2Id"))
            if price is None:
                price = record["UnitPrice"] = entry.get("UnitPrice")
        product = peek("salesforce", "Product2", record.get("Product2Id") or "")
        opp = peek("salesforce", "Opportunity", record.get("OpportunityId") or "")
        record["TotalPrice"] = round(float(quantity) * float(price or 0), 2)
        if product:
            record["ProductCode"] = product.get("ProductCode")
            record["Name"] = f"{(opp or {}).get('Name', '')} {product.get('Name')}".strip()
    elif obj == "PricebookEntry":
        product = peek("salesforce", "Product2", record.get("Product2Id") or "")
        if product:
            record["Name"] = product.get("Name")
            record["ProductCode"] = product.get("ProductCode")
    else:
        certinia.derive(obj, record)
