"""The quote-to-cash objects the Salesforce connector types (Object Reference for the Salesforce Platform,
https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/):
contracts, quotes and quote lines to write; opportunity lines, products and price book entries to read.

Contracts and quotes also carry the write-back fields an org adds for the lifecycle (custom fields:
``Flowbuilder_Project_Id__c``, ``ERP_Customer_Id__c``, ``Billing_Status__c`` ...), by API name in
``fields``; opportunities and accounts are written through the generic actions.
"""

from __future__ import annotations

from .typed import BOOL, DATE, ID, INT, NUM, STR, SObjectType

OBJECTS: dict[str, SObjectType] = {
    o.key: o
    for o in (
        SObjectType(
            "contract",
            "contracts",
            "Contract",
            "Contract",
            {
                "account_id": ("AccountId", ID, "Account id"),
                "name": ("Name", STR, "Contract name"),
                "status": ("Status", STR, "Status (Draft, In Approval Process, Activated)"),
                "start_date": ("StartDate", DATE, "Start date"),
                "term_months": ("ContractTerm", INT, "Contract term (months)"),
                "customer_signed_date": ("CustomerSignedDate", DATE, "Customer signed date"),
                "description": ("Description", STR, "Description"),
                "special_terms": ("SpecialTerms", STR, "Special terms"),
                "pricebook_id": ("Pricebook2Id", ID, "Price book id"),
                "opportunity_id": ("Opportunity__c", ID, "Opportunity id (custom lookup)"),
            },
            required=("account_id", "status"),
            extra_select=("ContractNumber", "EndDate", "ActivatedDate"),
            parent="account_id",
        ),
        SObjectType(
            "quote",
            "quotes",
            "Quote",
            "Quote",
            {
                "name": ("Name", STR, "Quote name"),
                "opportunity_id": ("OpportunityId", ID, "Opportunity id"),
                "pricebook_id": ("Pricebook2Id", ID, "Price book id"),
                "contract_id": ("ContractId", ID, "Contract id"),
                "contact_id": ("ContactId", ID, "Contact id"),
                "status": ("Status", STR, "Status"),
                "expiration_date": ("ExpirationDate", DATE, "Expiration date"),
                "description": ("Description", STR, "Description"),
                "tax": ("Tax", NUM, "Tax"),
                "shipping_handling": ("ShippingHandling", NUM, "Shipping and handling"),
            },
            required=("name", "opportunity_id"),
            extra_select=(
                "QuoteNumber",
                "AccountId",
                "Subtotal",
                "TotalPrice",
                "GrandTotal",
                "LineItemCount",
                "IsSyncing",
            ),
            parent="opportunity_id",
        ),
        SObjectType(
            "quote_line",
            "quote_lines",
            "Quote line",
            "QuoteLineItem",
            {
                "quote_id": ("QuoteId", ID, "Quote id"),
                "pricebook_entry_id": ("PricebookEntryId", ID, "Price book entry id"),
                "product_id": ("Product2Id", ID, "Product id"),
                "quantity": ("Quantity", NUM, "Quantity"),
                "unit_price": ("UnitPrice", NUM, "Sales price"),
                "discount": ("Discount", NUM, "Discount (percent)"),
                "service_date": ("ServiceDate", DATE, "Date"),
                "description": ("Description", STR, "Line description"),
            },
            required=("quote_id", "pricebook_entry_id", "quantity", "unit_price"),
            extra_select=("LineNumber", "ListPrice", "Subtotal", "TotalPrice"),
            parent="quote_id",
        ),
        SObjectType(
            "opportunity_line",
            "opportunity_lines",
            "Opportunity line",
            "OpportunityLineItem",
            {
                "opportunity_id": ("OpportunityId", ID, "Opportunity id"),
                "pricebook_entry_id": ("PricebookEntryId", ID, "Price book entry id"),
                "product_id": ("Product2Id", ID, "Product id"),
                "product_code": ("ProductCode", STR, "Product code"),
                "name": ("Name", STR, "Name"),
                "quantity": ("Quantity", NUM, "Quantity"),
                "unit_price": ("UnitPrice", NUM, "Sales price"),
                "total_price": ("TotalPrice", NUM, "Total price"),
                "service_date": ("ServiceDate", DATE, "Date"),
                "description": ("Description", STR, "Line description"),
            },
            writable=False,
            parent="opportunity_id",
            upsert=False,
        ),
        SObjectType(
            "product",
            "products",
            "Product",
            "Product2",
            {
                "name": ("Name", STR, "Product name"),
                "product_code": ("ProductCode", STR, "Product code"),
                "family": ("Family", STR, "Product family"),
                "active": ("IsActive", BOOL, "Active"),
                "description": ("Description", STR, "Description"),
            },
            writable=False,
            upsert=False,
        ),
        SObjectType(
            "pricebook_entry",
            "pricebook_entries",
            "Price book entry",
            "PricebookEntry",
            {
                "pricebook_id": ("Pricebook2Id", ID, "Price book id"),
                "product_id": ("Product2Id", ID, "Product id"),
                "name": ("Name", STR, "Name"),
                "product_code": ("ProductCode", STR, "Product code"),
                "unit_price": ("UnitPrice", NUM, "List price"),
                "active": ("IsActive", BOOL, "Active"),
            },
            writable=False,
            parent="product_id",
            upsert=False,
        ),
    )
}
