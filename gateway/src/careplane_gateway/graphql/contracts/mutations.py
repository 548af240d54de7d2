"""The contracts domain's mutations. A refusal comes back as a GraphQL error whose
``extensions.code`` is contracts' own (ROLE_FORBIDDEN, PLAN_PREREQUISITE_MISSING,
MILESTONE_NOTICE_TOO_SHORT, ...)."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

import strawberry

from careplane_gateway.graphql.arguments import optional_uuid_arg, path_segment, uuid_arg
from careplane_gateway.graphql.context import Info
from careplane_gateway.graphql.contracts.billing import BillableItem
from careplane_gateway.graphql.contracts.enums import AgreementStatus
from careplane_gateway.graphql.contracts.inputs import (
    ContactInput,
    ContactUpdateInput,
    CreateAgreementInput,
    CustomerInput,
    CustomerUpdateInput,
    MajorVersionInput,
    MilestonesInput,
    PlanInput,
    PlanUpdateInput,
    ProductInput,
    RecordBillableItemInput,
    ReleaseInput,
    SupportCenterInput,
)
from careplane_gateway.graphql.contracts.plans import Plan, SupportCenter
from careplane_gateway.graphql.contracts.products import MajorVersion, Product, Release
from careplane_gateway.graphql.contracts.quota import QuotaEntry
from careplane_gateway.graphql.contracts.types import (
    Agreement,
    Contact,
    Customer,
    CustomerUpsert,
    LicenseKey,
)

Reason = Annotated[str, strawberry.argument(description="Kept with the key, sent with its event.")]


async def _key_action(info: Info, license_key_id: strawberry.ID, action: str, reason: str) -> Any:
    path = f"/v1/license-keys/{uuid_arg(license_key_id, 'licenseKeyId')}/{action}"
    return await info.context.contracts.post(path, json={"reason": reason})


@strawberry.type
class ContractsMutation:
    @strawberry.mutation(
        description=(
            "Creates or updates the customer your CRM knows by `externalId` (idempotent: the "
            "same call twice leaves one customer)."
        )
    )
    async def upsert_customer_by_external_id(
        self,
        info: Info,
        external_id: Annotated[
            str, strawberry.argument(description="The customer's ID in the CRM.")
        ],
        input: Annotated[CustomerInput, strawberry.argument(description="The customer's data.")],
    ) -> CustomerUpsert:
        path = f"/v1/customers/by-external-id/{path_segment(external_id, 'externalId')}"
        response = await info.context.contracts.send("PUT", path, json=input.to_rest())
        row = info.context.contracts.json_of(response)
        return CustomerUpsert(
            customer=Customer.from_rest(row), created=response.status_code == HTTPStatus.CREATED
        )

    @strawberry.mutation(
        description=(
            "Registers a support contact. Staff and integrations for any customer; a customer "
            "administrator for its own."
        )
    )
    async def create_contact(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID, strawberry.argument(description="The contact's customer.")
        ],
        input: Annotated[ContactInput, strawberry.argument(description="The new contact.")],
    ) -> Contact:
        path = f"/v1/customers/{uuid_arg(customer_id, 'customerId')}/contacts"
        return Contact.from_rest(await info.context.contracts.post(path, json=input.to_rest()))

    @strawberry.mutation(
        description=(
            "A customer's first agreement year on a plan, priced by the plan, its quota granted. "
            "A plan with a prerequisite needs an active agreement on it "
            "(PLAN_PREREQUISITE_MISSING)."
        )
    )
    async def create_agreement(
        self,
        info: Info,
        input: Annotated[
            CreateAgreementInput, strawberry.argument(description="The new agreement.")
        ],
    ) -> Agreement:
        row = await info.context.contracts.post("/v1/agreements", json=input.to_rest())
        return Agreement.from_rest(row)

    @strawberry.mutation(
        description=(
            "Creates the next agreement year; unused tickets roll over when the plan says so "
            "(AGREEMENT_ALREADY_RENEWED for a year renewed before)."
        )
    )
    async def renew_agreement(
        self,
        info: Info,
        agreement_id: Annotated[
            strawberry.ID, strawberry.argument(description="The agreement year to renew.")
        ],
    ) -> Agreement:
        path = f"/v1/agreements/{uuid_arg(agreement_id, 'agreementId')}/renew"
        return Agreement.from_rest(await info.context.contracts.post(path))

    @strawberry.mutation(description="Suspends, reactivates or cancels an agreement.")
    async def change_agreement_status(
        self,
        info: Info,
        agreement_id: Annotated[strawberry.ID, strawberry.argument(description="The agreement.")],
        status: Annotated[AgreementStatus, strawberry.argument(description="The new status.")],
        reason: Annotated[str, strawberry.argument(description="Why.")],
    ) -> Agreement:
        path = f"/v1/agreements/{uuid_arg(agreement_id, 'agreementId')}/status"
        row = await info.context.contracts.post(
            path, json={"status": status.value, "reason": reason}
        )
        return Agreement.from_rest(row)

    @strawberry.mutation(description="Adds purchased tickets to an agreement year's quota.")
    async def purchase_quota(
        self,
        info: Info,
        agreement_id: Annotated[
            strawberry.ID, strawberry.argument(description="The agreement whose quota grows.")
        ],
        amount: Annotated[int, strawberry.argument(description="Tickets bought.")],
        note: Annotated[
            str | None, strawberry.argument(description="A note for the ledger.")
        ] = None,
    ) -> QuotaEntry:
        path = f"/v1/agreements/{uuid_arg(agreement_id, 'agreementId')}/quota/purchases"
        row = await info.context.contracts.post(path, json={"amount": amount, "note": note})
        return QuotaEntry.from_rest(row)

    @strawberry.mutation(description="Exchanges unused tickets for a premium service.")
    async def exchange_quota(
        self,
        info: Info,
        agreement_id: Annotated[
            strawberry.ID, strawberry.argument(description="The agreement whose quota is spent.")
        ],
        amount: Annotated[int, strawberry.argument(description="Tickets exchanged.")],
        service: Annotated[str, strawberry.argument(description="The premium service received.")],
    ) -> QuotaEntry:
        path = f"/v1/agreements/{uuid_arg(agreement_id, 'agreementId')}/quota/exchanges"
        row = await info.context.contracts.post(path, json={"amount": amount, "service": service})
        return QuotaEntry.from_rest(row)

    @strawberry.mutation(
        description="Adds a major version; answers the product's whole lifecycle as of today."
    )
    async def add_major_version(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        input: Annotated[
            MajorVersionInput,
            strawberry.argument(description="The new major version and its milestones."),
        ],
    ) -> list[MajorVersion]:
        path = f"/v1/products/{uuid_arg(product_id, 'productId')}/versions"
        rows = await info.context.contracts.post(path, json=input.to_rest())
        return [MajorVersion.from_rest(row) for row in rows]

    @strawberry.mutation(
        description=(
            "Changes a major version's milestones; answers the product's whole lifecycle as of "
            "today. Every version whose milestones moved is announced to customers."
        )
    )
    async def set_milestones(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        major: Annotated[int, strawberry.argument(description="The major version number.")],
        input: Annotated[MilestonesInput, strawberry.argument(description="The milestones.")],
    ) -> list[MajorVersion]:
        path = f"/v1/products/{uuid_arg(product_id, 'productId')}/versions/{major}"
        rows = await info.context.contracts.request("PATCH", path, json=input.to_rest())
        return [MajorVersion.from_rest(row) for row in rows]

    @strawberry.mutation(
        description=(
            "Issues a signed key for a customer, product and major version (staff). Bound to "
            "an agreement, the key expires with it."
        )
    )
    async def issue_license_key(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        major_version: Annotated[
            int, strawberry.argument(description="The major version the key unlocks.")
        ],
        agreement_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Binds the key to this agreement: it expires with it."),
        ] = None,
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(description="For a key not bound to an agreement."),
        ] = None,
        request_ticket_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The key request ticket this fulfils."),
        ] = None,
    ) -> LicenseKey:
        body = {
            "customer_id": uuid_arg(customer_id, "customerId"),
            "product_id": uuid_arg(product_id, "productId"),
            "major_version": major_version,
            "agreement_id": optional_uuid_arg(agreement_id, "agreementId"),
            "expires_at": expires_at.isoformat() if expires_at else None,
            "request_ticket_id": optional_uuid_arg(request_ticket_id, "requestTicketId"),
        }
        return LicenseKey.from_rest(
            await info.context.contracts.post("/v1/license-keys", json=body)
        )

    @strawberry.mutation(description="Suspends a key: it validates as SUSPENDED until resumed.")
    async def suspend_license_key(
        self,
        info: Info,
        license_key_id: Annotated[strawberry.ID, strawberry.argument(description="The key's ID.")],
        reason: Reason,
    ) -> LicenseKey:
        return LicenseKey.from_rest(await _key_action(info, license_key_id, "suspend", reason))

    @strawberry.mutation(description="Lifts a key's suspension.")
    async def resume_license_key(
        self,
        info: Info,
        license_key_id: Annotated[strawberry.ID, strawberry.argument(description="The key's ID.")],
        reason: Reason,
    ) -> LicenseKey:
        return LicenseKey.from_rest(await _key_action(info, license_key_id, "resume", reason))

    @strawberry.mutation(description="Revokes a key for good.")
    async def revoke_license_key(
        self,
        info: Info,
        license_key_id: Annotated[strawberry.ID, strawberry.argument(description="The key's ID.")],
        reason: Reason,
    ) -> LicenseKey:
        return LicenseKey.from_rest(await _key_action(info, license_key_id, "revoke", reason))

    @strawberry.mutation(
        description="Replaces a key with a new one for the same terms; the old one is revoked."
    )
    async def reissue_license_key(
        self,
        info: Info,
        license_key_id: Annotated[strawberry.ID, strawberry.argument(description="The key's ID.")],
        reason: Reason,
    ) -> LicenseKey:
        return LicenseKey.from_rest(await _key_action(info, license_key_id, "reissue", reason))

    @strawberry.mutation(
        description="Records a billable item; the same `idempotencyKey` twice records it once."
    )
    async def record_billable_item(
        self,
        info: Info,
        input: Annotated[
            RecordBillableItemInput, strawberry.argument(description="The billable item.")
        ],
    ) -> BillableItem:
        row = await info.context.contracts.post("/v1/billable-items", json=input.to_rest())
        return BillableItem.from_rest(row)

    @strawberry.mutation(description="Changes a customer (staff and integrations).")
    async def update_customer(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        input: Annotated[
            CustomerUpdateInput,
            strawberry.argument(description="The changes; null fields are left as they are."),
        ],
    ) -> Customer:
        path = f"/v1/customers/{uuid_arg(customer_id, 'customerId')}"
        return Customer.from_rest(
            await info.context.contracts.request("PATCH", path, json=input.to_rest())
        )

    @strawberry.mutation(
        description="Changes a contact (staff, or the customer's administrator for its own)."
    )
    async def update_contact(
        self,
        info: Info,
        contact_id: Annotated[strawberry.ID, strawberry.argument(description="The contact.")],
        input: Annotated[
            ContactUpdateInput,
            strawberry.argument(description="The changes; null fields are left as they are."),
        ],
    ) -> Contact:
        path = f"/v1/contacts/{uuid_arg(contact_id, 'contactId')}"
        return Contact.from_rest(
            await info.context.contracts.request("PATCH", path, json=input.to_rest())
        )

    @strawberry.mutation(description="Adds a product (support management).")
    async def create_product(
        self,
        info: Info,
        input: Annotated[ProductInput, strawberry.argument(description="The new product.")],
    ) -> Product:
        return Product.from_rest(
            await info.context.contracts.post("/v1/products", json=input.to_rest())
        )

    @strawberry.mutation(description="Adds a release (minor version) to a major version.")
    async def add_release(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        major: Annotated[int, strawberry.argument(description="The major version number.")],
        input: Annotated[ReleaseInput, strawberry.argument(description="The new release.")],
    ) -> Release:
        path = f"/v1/products/{uuid_arg(product_id, 'productId')}/versions/{major}/releases"
        return Release.from_rest(await info.context.contracts.post(path, json=input.to_rest()))

    @strawberry.mutation(description="Defines a support plan (support management).")
    async def create_plan(
        self,
        info: Info,
        input: Annotated[PlanInput, strawberry.argument(description="The new plan.")],
    ) -> Plan:
        return Plan.from_rest(await info.context.contracts.post("/v1/plans", json=input.to_rest()))

    @strawberry.mutation(
        description="Changes a plan; open cases keep the SLA snapshot they were opened with."
    )
    async def update_plan(
        self,
        info: Info,
        plan_id: Annotated[strawberry.ID, strawberry.argument(description="The plan.")],
        input: Annotated[
            PlanUpdateInput,
            strawberry.argument(description="The changes; null fields are left as they are."),
        ],
    ) -> Plan:
        path = f"/v1/plans/{uuid_arg(plan_id, 'planId')}"
        return Plan.from_rest(
            await info.context.contracts.request("PATCH", path, json=input.to_rest())
        )

    @strawberry.mutation(description="Adds a support center with its business calendar.")
    async def create_support_center(
        self,
        info: Info,
        input: Annotated[
            SupportCenterInput, strawberry.argument(description="The new support center.")
        ],
    ) -> SupportCenter:
        row = await info.context.contracts.post("/v1/support-centers", json=input.to_rest())
        return SupportCenter.from_rest(row)
