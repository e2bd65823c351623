"""Salesforce object model served by the sandbox: the standard CRM objects here, the Certinia (pse__) PSA
objects from certinia/schema.py, one model for the routes and SOQL; ids; formula fields.

Field spec: "Name:type" or "Name:ref:Target". Type `extid` is a text field marked External ID (upsert key).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
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
        "NetSuite_Id__c:extid Dynamics_Id__c:extid ERP_Customer_Id__c:string",
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
        "Pricebook2Id:ref:Pricebook2 External_Id__c:extid Flowbuilder_Id__c:extid "
        # Write-back fields an org adds for the lifecycle (ids of the PSA and ERP records, billing).
        "Flowbuilder_Project_Id__c:string PSA_Project_Id__c:string ERP_Customer_Id__c:string "
        "ERP_Project_Id__c:string Billing_Status__c:picklist "
        # Billing to cash: the latest posted invoice's collection state (credits and write-offs are not cash).
        "Billing_Invoice__c:string Billing_Total__c:currency Billing_Cash_Received__c:currency "
        "Billing_Credited__c:currency Billing_Written_Off__c:currency Billing_Open_Amount__c:currency "
        "Billing_Days_Overdue__c:int",
    },
    "OpportunityLineItem": {
        "prefix": "00k",
        "required": "OpportunityId Quantity",
        "readonly": "Name TotalPrice",
        "fields": "Name:string OpportunityId:ref:Opportunity Product2Id:ref:Product2 "
        "PricebookEntryId:ref:PricebookEntry ProductCode:string Quantity:double UnitPrice:currency "
        "TotalPrice:currency ServiceDate:date Description:string "
        # How the line is billed (an org's field: Fixed Fee, Time and Materials, Retainer).
        "Billing_Type__c:picklist",
    },
    # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contract.htm
    "Contract": {
        "prefix": "800",
        "required": "AccountId Status",
        "readonly": "ContractNumber EndDate ActivatedDate ActivatedById",
        "picklists": {"Status": "Draft|In Approval Process|Activated"},
        "fields": "AccountId:ref:Account Name:string ContractNumber:string Status:picklist StartDate:date "
        "ContractTerm:int EndDate:date ActivatedDate:datetime ActivatedById:ref:User "
        "CustomerSignedDate:date CustomerSignedId:ref:Contact Description:textarea SpecialTerms:textarea "
        "Pricebook2Id:ref:Pricebook2 OwnerId:ref:User External_Id__c:extid "
        "Opportunity__c:ref:Opportunity Flowbuilder_Project_Id__c:string ERP_Customer_Id__c:string "
        "ERP_Contract_Id__c:string Billing_Status__c:picklist",
    },
    # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_quote.htm
    "Quote": {
        "prefix": "0Q0",
        "required": "Name OpportunityId",
        "readonly": "QuoteNumber AccountId Subtotal TotalPrice GrandTotal LineItemCount IsSyncing",
        "picklists": {"Status": "Draft|Needs Review|In Review|Approved|Rejected|Presented|Accepted|Denied"},
        "fields": "Name:string OpportunityId:ref:Opportunity AccountId:ref:Account "
        "Pricebook2Id:ref:Pricebook2 ContractId:ref:Contract ContactId:ref:Contact QuoteNumber:string "
        "Status:picklist ExpirationDate:date Description:textarea Discount:percent Tax:currency "
        "ShippingHandling:currency Subtotal:currency TotalPrice:currency GrandTotal:currency "
        "LineItemCount:int IsSyncing:boolean External_Id__c:extid",
    },
    # https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_quotelineitem.htm
    "QuoteLineItem": {
        "prefix": "0QL",
        "required": "QuoteId PricebookEntryId Quantity UnitPrice",
        "readonly": "LineNumber ListPrice Subtotal TotalPrice",
        "fields": "QuoteId:ref:Quote PricebookEntryId:ref:PricebookEntry Product2Id:ref:Product2 "
        "OpportunityLineItemId:ref:OpportunityLineItem LineNumber:string Quantity:double "
        "UnitPrice:currency ListPrice:currency Discount:percent Subtotal:currency TotalPrice:currency "
        "ServiceDate:date Description:string SortOrder:int External_Id__c:extid",
    },
}

_OBJECTS = {**_STANDARD_SPECS, **certinia.OBJECT_SPECS}
# Auto-numbered fields, object -> (field, prefix): what the org numbers itself (read-only to the API).
AUTONUMBER = {**certinia.AUTONUMBER, "Contract": ("ContractNumber", ""), "Quote": ("QuoteNumber", "")}


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
    picklists: dict[str, tuple[str, ...]] = field(default_factory=dict)  # restricted picklists

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
        named = spec.get("readonly", "")
        readonly = (set(fields) if named == "*" else set(named.split())) | {
            "Id",
            "CreatedDate",
            "LastModifiedDate",
            "SystemModstamp",
            "IsDeleted",
            "CreatedById",
            "LastModifiedById",
        }
        obj = ObjectDef(name, spec["prefix"], fields, tuple(spec["required"].split()), frozenset(readonly))
        obj.picklists = {f: tuple(v.split("|")) for f, v in (spec.get("picklists") or {}).items()}
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
    elif obj == "Contract":
        record["EndDate"] = _contract_end(record.get("StartDate"), record.get("ContractTerm"))
    elif obj == "Quote":
        opp = peek("salesforce", "Opportunity", record.get("OpportunityId") or "") or {}
        record["AccountId"] = opp.get("AccountId")
        record.setdefault("IsSyncing", False)
    elif obj == "QuoteLineItem":
        entry = peek("salesforce", "PricebookEntry", record.get("PricebookEntryId") or "") or {}
        record["Product2Id"] = record.get("Product2Id") or entry.get("Product2Id")
        record["ListPrice"] = entry.get("UnitPrice")
        subtotal = round(float(record.get("Quantity") or 0) * float(record.get("UnitPrice") or 0), 2)
        record["Subtotal"] = subtotal
        record["TotalPrice"] = round(subtotal * (1 - float(record.get("Discount") or 0) / 100), 2)
    else:
        certinia.derive(obj, record, peek)


def _contract_end(start: Any, term: Any) -> str | None:
    """ "Calculated end date of the contract: ContractTerm months after StartDate" (the day before)."""
    if not start or term in (None, ""):
        return None
    first = date.fromisoformat(str(start)[:10])
    months = first.month - 1 + int(term)
    year, month = first.year + months // 12, months % 12 + 1
    day = min(first.day, calendar.monthrange(year, month)[1])
    return (date(year, month, day) - timedelta(days=1)).isoformat()
