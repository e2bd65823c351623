"""Salesforce object model served by the sandbox: standard CRM objects plus Certinia (pse__) PSA objects.

Field spec: "Name:type" or "Name:ref:Target". Type `extid` is a text field marked External ID (upsert key).
"""

from __future__ import annotations

from dataclasses import dataclass, field

_COMMON = (
    "Id:id CreatedDate:datetime LastModifiedDate:datetime SystemModstamp:datetime IsDeleted:boolean "
    "CreatedById:ref:User LastModifiedById:ref:User"
)

_OBJECTS: dict[str, dict[str, str]] = {
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
    "pse__Proj__c": {
        "prefix": "a1H",
        "required": "Name",
        "fields": "Name:string pse__Account__c:ref:Account pse__Opportunity__c:ref:Opportunity "
        "pse__Project_Manager__c:ref:Contact pse__Start_Date__c:date pse__End_Date__c:date "
        "pse__Stage__c:picklist pse__Is_Active__c:boolean pse__Is_Billable__c:boolean "
        "pse__Billing_Type__c:picklist pse__Project_Type__c:picklist pse__Bookings__c:currency "
        "pse__Planned_Hours__c:double pse__Project_ID__c:string pse__Description__c:textarea "
        "External_Id__c:extid Flowbuilder_Id__c:extid Kantata_Id__c:extid NetSuite_Id__c:extid "
        "OwnerId:ref:User",
    },
    "pse__Milestone__c": {
        "prefix": "a1F",
        "required": "Name pse__Project__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Target_Date__c:date "
        "pse__Actual_Date__c:date pse__Milestone_Amount__c:currency pse__Status__c:picklist "
        "pse__Approved__c:boolean pse__Invoiced__c:boolean pse__Description__c:textarea "
        "External_Id__c:extid",
    },
    "pse__Assignment__c": {
        "prefix": "a0z",
        "required": "pse__Project__c pse__Resource__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Resource__c:ref:Contact "
        "pse__Role__c:picklist pse__Bill_Rate__c:currency pse__Cost_Rate_Amount__c:currency "
        "pse__Start_Date__c:date pse__End_Date__c:date pse__Status__c:picklist "
        "pse__Planned_Hours__c:double pse__Is_Billable__c:boolean External_Id__c:extid",
    },
    "pse__Resource_Request__c": {
        "prefix": "a1Q",
        "required": "pse__Project__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Resource_Role__c:picklist "
        "pse__Start_Date__c:date pse__End_Date__c:date pse__SOW_Hours__c:double "
        "pse__Status__c:picklist pse__Staffer_Resource__c:ref:Contact "
        "pse__Assignment__c:ref:pse__Assignment__c pse__Notes__c:textarea External_Id__c:extid",
    },
    "pse__Timecard_Header__c": {
        "prefix": "a24",
        "required": "pse__Project__c pse__Resource__c pse__Start_Date__c",
        "readonly": "pse__Total_Hours__c",
        "fields": "Name:string pse__Project__c:ref:pse__Proj__c pse__Assignment__c:ref:pse__Assignment__c "
        "pse__Resource__c:ref:Contact pse__Milestone__c:ref:pse__Milestone__c pse__Start_Date__c:date "
        "pse__End_Date__c:date pse__Status__c:picklist pse__Approved__c:boolean pse__Billable__c:boolean "
        "pse__Invoiced__c:boolean pse__Monday_Hours__c:double pse__Tuesday_Hours__c:double "
        "pse__Wednesday_Hours__c:double pse__Thursday_Hours__c:double pse__Friday_Hours__c:double "
        "pse__Saturday_Hours__c:double pse__Sunday_Hours__c:double pse__Total_Hours__c:double "
        "pse__Bill_Rate__c:currency "
        "pse__Timecard_Notes__c:textarea External_Id__c:extid Kantata_Id__c:extid",
    },
}

# Auto-numbered Name fields, as Certinia's objects do.
AUTONUMBER = {
    "pse__Assignment__c": "AS-",
    "pse__Resource_Request__c": "RR-",
    "pse__Timecard_Header__c": "TC-",
}


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
