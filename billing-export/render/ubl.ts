// UBL 2.1 Invoice and CreditNote: Peppol BIS Billing 3.0 when the document can be one, plain UBL 2.1 otherwise.
// The mapping and its limits are in docs/invoices.md ("UBL 2.1 and Peppol BIS 3").
import { type Dec, minorUnits, sum, toMinor, ZERO } from '../../rating/money.js';
import type { DocumentLine, InvoiceDocument, Party } from '../document.js';
import { formatDecimal, periodDays, percentOf } from './format.js';
import { linePricing } from './line-price.js';
import { leaf, type Node, node, serialize, withAttrs, type XmlElement } from './xml.js';

export const PEPPOL_CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
export const PEPPOL_PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';

const NS = {
  invoice: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2',
  creditNote: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
};

/** UNCL 5305 duty/tax category: standard, zero, exempt, reverse charge, not subject to VAT. */
export type VatCategory = 'S' | 'Z' | 'E' | 'AE' | 'O';

/** One tax of a line as UBL states it: category, percent, the scheme it belongs to, and why it is zero. */
interface LineTaxCategory {
  category: VatCategory;
  percent: string;
  /** Plain UBL names each of our rates as its own scheme (rate id); Peppol has one scheme: VAT. */
  schemeId: string;
  name?: string;
  exemptionCode?: string;
  exemptionReason?: string;
}

/** The categories of a line (one per tax, or one zero category when it carries none). */
export function lineTaxCategories(doc: InvoiceDocument, line: DocumentLine, peppol: boolean): LineTaxCategory[] {
  if (line.taxes.length > 0) {
    return line.taxes.map((t) => ({
      category: t.rate.eq(ZERO) ? 'Z' : 'S', percent: percentOf(t.rate), schemeId: peppol ? 'VAT' : t.rateId, ...(peppol ? {} : { name: t.name }),
    }));
  }
  const schemeId = 'VAT';
  if (doc.reverseCharge) return [{ category: 'AE', percent: '0', schemeId, exemptionCode: 'VATEX-EU-AE', exemptionReason: 'Reverse charge' }];
  if (line.taxExemptionReason) return [{ category: 'E', percent: '0', schemeId, exemptionReason: line.taxExemptionReason }];
  return [{ category: 'O', percent: '0', schemeId, exemptionCode: 'VATEX-EU-O', exemptionReason: 'Not subject to VAT' }];
}

/**
 * Why the document cannot be a Peppol BIS 3 invoice (empty: it can). Each reason names the rule it would break;
 * the plain UBL 2.1 document written instead carries them in a comment.
 */
export function peppolObstacles(doc: InvoiceDocument): string[] {
  const out: string[] = [];
  if (minorUnits(doc.currency) > 2) out.push(`${doc.currency} has ${minorUnits(doc.currency)} decimals; EN 16931 amounts have at most 2 (BR-DEC)`);
  const multi = doc.lines.filter((l) => l.taxes.length > 1);
  if (multi.length > 0) out.push(`line ${multi.map((l) => l.lineNo).join(', ')} carries more than one tax (${[...new Set(multi.flatMap((l) => l.taxes.map((t) => t.name)))].join(', ')}); a Peppol line has one VAT category and rate (BT-151, BT-152)`);
  const compound = doc.lines.filter((l) => l.taxes.some((t) => t.compound));
  if (compound.length > 0 && multi.length === 0) out.push(`line ${compound.map((l) => l.lineNo).join(', ')} has a compound tax, which EN 16931 cannot express`);
  if (!doc.seller.endpoint) out.push('the seller has no Peppol endpoint (PEPPOL-EN16931-R020)');
  if (!doc.buyer.endpoint) out.push('the buyer has no Peppol endpoint (PEPPOL-EN16931-R010)');
  // Peppol's EAS code list has four-digit schemes only (an email address, EM, is not a Peppol participant).
  for (const [who, p] of [['seller', doc.seller], ['buyer', doc.buyer]] as const) {
    if (p.endpoint && !/^\d{4}$/.test(p.endpoint.scheme)) out.push(`the ${who}'s endpoint scheme ${p.endpoint.scheme} is not a Peppol EAS code (PEPPOL-EN16931-CL008)`);
  }
  const vatId = /^(?:[A-Z]{2}|1A)[0-9A-Za-z+*.]{2,}$/;
  if (!doc.seller.taxIds[0] || !vatId.test(doc.seller.taxIds[0])) out.push(`the seller has no VAT identifier with a country prefix (BR-CO-09, BR-S-02)${doc.seller.taxIds[0] ? `: ${doc.seller.taxIds[0]}` : ''}`);
  if (doc.reverseCharge && (!doc.buyer.taxIds[0] || !vatId.test(doc.buyer.taxIds[0]))) out.push('reverse charge needs the buyer\'s VAT identifier (BR-AE-02)');
  const categories = new Set(doc.lines.flatMap((l) => lineTaxCategories(doc, l, true).map((c) => c.category)));
  if (categories.has('O') && categories.size > 1) out.push('lines not subject to VAT (O) are mixed with taxed lines (BR-O-11)');
  else if (categories.has('O')) out.push('lines not subject to VAT (O): such a Peppol invoice must carry no VAT identifiers (BR-O-02), which ours always do');
  for (const l of doc.lines) {
    try {
      toMinor(l.net, doc.currency);
    } catch {
      out.push(`line ${l.lineNo} net ${l.net.toString()} is not rounded to the currency (per-invoice tax rounding of inclusive prices)`);
    }
  }
  if (!sum(doc.lines.map((l) => l.net)).eq(doc.subtotal)) out.push('the lines do not add up to the subtotal (BR-CO-10)');
  return out;
}

/** The UBL document: Peppol BIS Billing 3.0 when peppolObstacles is empty, plain UBL 2.1 otherwise. */
export function renderUbl(doc: InvoiceDocument): string {
  const obstacles = peppolObstacles(doc);
  const peppol = obstacles.length === 0;
  const credit = doc.kind === 'credit_note';
  const amt = (name: string, d: Dec) => leaf(name, moneyText(d, doc.currency), { currencyID: doc.currency });
  const tz = doc.period.timezone;
  const period = (span: { from: string; to: string }) => {
    const days = periodDays(span, tz);
    return node('cac:InvoicePeriod', leaf('cbc:StartDate', days.start), leaf('cbc:EndDate', days.end));
  };
  const notes = [...(doc.corrects ? [doc.corrects.reason] : []), ...doc.notes];

  const root: Node = node(credit ? 'CreditNote' : 'Invoice',
    leaf('cbc:UBLVersionID', '2.1'),
    peppol && leaf('cbc:CustomizationID', PEPPOL_CUSTOMIZATION_ID),
    peppol && leaf('cbc:ProfileID', PEPPOL_PROFILE_ID),
    leaf('cbc:ID', doc.number),
    leaf('cbc:IssueDate', doc.issueDate),
    !credit && leaf('cbc:DueDate', doc.dueDate),
    leaf(credit ? 'cbc:CreditNoteTypeCode' : 'cbc:InvoiceTypeCode', credit ? '381' : '380'),
    // PEPPOL-EN16931-R002: one document note.
    leaf('cbc:Note', notes.join('\n')),
    leaf('cbc:DocumentCurrencyCode', doc.currency),
    leaf('cbc:BuyerReference', doc.buyer.customerId),
    period(doc.period),
    doc.corrects && node('cac:BillingReference', node('cac:InvoiceDocumentReference', leaf('cbc:ID', doc.corrects.invoiceNumber), leaf('cbc:IssueDate', doc.corrects.issueDate))),
    node('cac:AccountingSupplierParty', party(doc.seller, peppol)),
    node('cac:AccountingCustomerParty', party(doc.buyer, peppol, doc.buyer.customerId)),
    paymentMeans(doc),
    !credit && node('cac:PaymentTerms', leaf('cbc:Note', [`Due ${doc.dueDate}.`, ...doc.branding.paymentInstructions].join(' '))),
    taxTotal(doc, peppol, amt),
    node('cac:LegalMonetaryTotal',
      amt('cbc:LineExtensionAmount', sum(doc.lines.map((l) => l.net))),
      amt('cbc:TaxExclusiveAmount', doc.subtotal),
      amt('cbc:TaxInclusiveAmount', doc.total),
      doc.credits.some((c) => c.applied.gt(ZERO)) && amt('cbc:PrepaidAmount', sum(doc.credits.map((c) => c.applied))),
      amt('cbc:PayableAmount', doc.amountDue)),
    doc.lines.map((l) => documentLine(doc, l, peppol, credit, amt, period)),
  );
  const rooted = withAttrs(root, { xmlns: credit ? NS.creditNote : NS.invoice, 'xmlns:cac': NS.cac, 'xmlns:cbc': NS.cbc }) as XmlElement;
  const xml = serialize(rooted);
  if (peppol) return xml;
  // Comments may not contain "--"; the reasons are ours, but a tax name could.
  const why = obstacles.map((o) => `  - ${o.replace(/--/g, '- -')}`).join('\n');
  return xml.replace('\n', `\n<!-- Plain UBL 2.1, not Peppol BIS Billing 3.0:\n${why}\n-->\n`);
}

/** Fixed-point with the currency's digits ("141.40", "13240"); an exact value with more digits is kept (a price). */
function moneyText(d: Dec, currency: string): string {
  const exact = formatDecimal(d);
  const dot = exact.indexOf('.');
  return d.toFixed(Math.max(minorUnits(currency), dot < 0 ? 0 : exact.length - dot - 1));
}

function party(p: Party, peppol: boolean, customerId?: string): Node {
  const a = p.address;
  const vatLike = (id: string) => /^(?:[A-Z]{2}|1A)[0-9A-Za-z+*.]{2,}$/.test(id);
  const taxId = p.taxIds[0];
  return node('cac:Party',
    p.endpoint && leaf('cbc:EndpointID', p.endpoint.id, { schemeID: p.endpoint.scheme }),
    customerId !== undefined && node('cac:PartyIdentification', leaf('cbc:ID', customerId)),
    node('cac:PartyName', leaf('cbc:Name', p.tradingName ?? p.legalName)),
    node('cac:PostalAddress',
      leaf('cbc:StreetName', a.lines[0]), leaf('cbc:AdditionalStreetName', a.lines[1]), leaf('cbc:CityName', a.city),
      leaf('cbc:PostalZone', a.postalCode), leaf('cbc:CountrySubentity', a.region),
      a.lines.length > 2 && node('cac:AddressLine', leaf('cbc:Line', a.lines.slice(2).join(', '))),
      node('cac:Country', leaf('cbc:IdentificationCode', a.countryCode))),
    taxId !== undefined && (!peppol || vatLike(taxId)) && node('cac:PartyTaxScheme', leaf('cbc:CompanyID', taxId),
      node('cac:TaxScheme', vatLike(taxId) ? leaf('cbc:ID', 'VAT') : leaf('cbc:Name', 'Tax registration'))),
    node('cac:PartyLegalEntity', leaf('cbc:RegistrationName', p.legalName), leaf('cbc:CompanyID', p.companyId)),
    // The contact point (BT-41, required by Germany's DE-R-005) is the party itself: we keep no person's name.
    (p.phone !== undefined || p.email !== undefined) && node('cac:Contact', leaf('cbc:Name', p.tradingName ?? p.legalName), leaf('cbc:Telephone', p.phone), leaf('cbc:ElectronicMail', p.email)),
  );
}

function paymentMeans(doc: InvoiceDocument): Node {
  const b = doc.branding;
  // A credit note's settlement (refund or credit balance) is the ledger's business: "instrument not defined" (UNCL
  // 4461 code 1) states that there is one without naming the seller's account as payee. Germany requires BG-16.
  if (doc.kind === 'credit_note') return node('cac:PaymentMeans', leaf('cbc:PaymentMeansCode', '1'), leaf('cbc:PaymentID', doc.number));
  if (!b.iban) return undefined;
  // UNCL 4461: 58 SEPA credit transfer (EUR), 30 credit transfer otherwise.
  return node('cac:PaymentMeans',
    leaf('cbc:PaymentMeansCode', doc.currency === 'EUR' ? '58' : '30'),
    leaf('cbc:PaymentID', doc.number),
    node('cac:PayeeFinancialAccount', leaf('cbc:ID', b.iban.replace(/\s+/g, '')), leaf('cbc:Name', doc.seller.legalName),
      node('cac:FinancialInstitutionBranch', leaf('cbc:ID', b.bic))));
}

type Amount = (name: string, d: Dec) => Node;

/**
 * Peppol: one subtotal per VAT category and percent; its taxable amount is the sum of its lines' net (BR-S-08) and
 * its tax the sum of rating's tax summaries for those rates, so the total is rating's. Plain UBL: one subtotal per
 * rate of rating's summary (compound bases included), plus one for untaxed lines.
 */
function taxTotal(doc: InvoiceDocument, peppol: boolean, amt: Amount): Node {
  const category = (c: LineTaxCategory) => node('cac:TaxCategory', leaf('cbc:ID', c.category), leaf('cbc:Name', c.name), leaf('cbc:Percent', c.percent),
    leaf('cbc:TaxExemptionReasonCode', c.exemptionCode), leaf('cbc:TaxExemptionReason', c.exemptionReason),
    node('cac:TaxScheme', leaf('cbc:ID', c.schemeId)));
  const subtotals: Node[] = [];
  const untaxed = new Map<string, { c: LineTaxCategory; net: Dec }>();
  if (peppol) {
    const groups = new Map<string, { c: LineTaxCategory; net: Dec; rateIds: Set<string> }>();
    for (const l of doc.lines) {
      const c = lineTaxCategories(doc, l, true)[0]!;
      const key = `${c.category}/${c.percent}`;
      const g = groups.get(key) ?? { c, net: ZERO, rateIds: new Set<string>() };
      g.net = g.net.plus(l.net);
      for (const t of l.taxes) g.rateIds.add(t.rateId);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      const tax = sum(doc.taxes.filter((t) => g.rateIds.has(t.rateId)).map((t) => t.amount));
      subtotals.push(node('cac:TaxSubtotal', amt('cbc:TaxableAmount', g.net), amt('cbc:TaxAmount', tax), category(g.c)));
    }
  } else {
    for (const t of doc.taxes) {
      const c: LineTaxCategory = { category: t.rate.eq(ZERO) ? 'Z' : 'S', percent: percentOf(t.rate), schemeId: t.rateId, name: t.name };
      subtotals.push(node('cac:TaxSubtotal', amt('cbc:TaxableAmount', t.base), amt('cbc:TaxAmount', t.amount), category(c)));
    }
    for (const l of doc.lines.filter((x) => x.taxes.length === 0)) {
      const c = lineTaxCategories(doc, l, false)[0]!;
      const u = untaxed.get(c.category) ?? { c, net: ZERO };
      u.net = u.net.plus(l.net);
      untaxed.set(c.category, u);
    }
    for (const u of untaxed.values()) subtotals.push(node('cac:TaxSubtotal', amt('cbc:TaxableAmount', u.net), amt('cbc:TaxAmount', ZERO), category(u.c)));
  }
  return node('cac:TaxTotal', amt('cbc:TaxAmount', doc.taxTotal), subtotals);
}

function documentLine(doc: InvoiceDocument, l: DocumentLine, peppol: boolean, credit: boolean, amt: Amount, period: (s: { from: string; to: string }) => Node): Node {
  const p = linePricing(l, doc.currency);
  const unitCode = unitCodeOf(l.unit);
  const categories = lineTaxCategories(doc, l, peppol);
  const usage = l.evidence;
  return node(credit ? 'cac:CreditNoteLine' : 'cac:InvoiceLine',
    leaf('cbc:ID', String(l.lineNo)),
    // Peppol BT-127: one note per line; it says how the amount was reached.
    leaf('cbc:Note', l.calculation.join('; ')),
    leaf(credit ? 'cbc:CreditedQuantity' : 'cbc:InvoicedQuantity', formatDecimal(p.quantity), { unitCode }),
    amt('cbc:LineExtensionAmount', l.net),
    period(l.period),
    // Plain UBL only: the line's own taxes (Peppol has no line-level tax total).
    !peppol && l.taxes.length > 0 && node('cac:TaxTotal', amt('cbc:TaxAmount', sum(l.taxes.map((t) => t.amount))),
      l.taxes.map((t) => node('cac:TaxSubtotal', amt('cbc:TaxableAmount', t.base), amt('cbc:TaxAmount', t.amount),
        node('cac:TaxCategory', leaf('cbc:ID', t.rate.eq(ZERO) ? 'Z' : 'S'), leaf('cbc:Name', t.name), leaf('cbc:Percent', percentOf(t.rate)), node('cac:TaxScheme', leaf('cbc:ID', t.rateId)))))),
    node('cac:Item',
      leaf('cbc:Description', l.adjusts ? `Late usage of ${l.adjusts.invoiceNumber}` : undefined),
      leaf('cbc:Name', l.description),
      categories.map((c) => node('cac:ClassifiedTaxCategory', leaf('cbc:ID', c.category), leaf('cbc:Name', c.name), leaf('cbc:Percent', c.percent), node('cac:TaxScheme', leaf('cbc:ID', c.schemeId)))),
      node('cac:AdditionalItemProperty', leaf('cbc:Name', 'Unit'), leaf('cbc:Value', l.unit)),
      usage && node('cac:AdditionalItemProperty', leaf('cbc:Name', 'Bytes counted'), leaf('cbc:Value', usage.bytesCounted.toString()))),
    node('cac:Price', amt('cbc:PriceAmount', p.price), !p.baseQuantity.eq('1') && leaf('cbc:BaseQuantity', formatDecimal(p.baseQuantity), { unitCode })),
  );
}

/**
 * UN/ECE Recommendation 20 code of a rated unit. A billing period is a month (MON); units without a code of their
 * own (a block of 10 GB) are counted in ones (C62); the unit in words travels as the item property "Unit".
 */
export function unitCodeOf(unit: string): string {
  const head = unit.split(/[\s(]/)[0] ?? '';
  const codes: Record<string, string> = {
    period: 'MON', kB: '2P', KB: '2P', MB: '4L', GB: 'E34', TB: 'E35', KiB: 'E64', MiB: 'E63', GiB: 'E62', TiB: 'E61', Mbps: 'E20', month: 'MON', each: 'C62',
  };
  return codes[head] ?? 'C62';
}
