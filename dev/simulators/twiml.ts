/**
 * Just enough XML to read the TwiML Apex answers with: elements, attributes,
 * text and the five predefined entities. Not a general XML parser.
 */
export interface TwimlNode {
  name: string;
  attrs: Record<string, string>;
  children: TwimlNode[];
  text: string;
}

const decode = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

export function parseTwiml(xml: string): TwimlNode {
  const root: TwimlNode = { name: "#root", attrs: {}, children: [], text: "" };
  const stack: TwimlNode[] = [root];
  const tag = /<(\/?)([A-Za-z][\w:-]*)([^>]*?)(\/?)>|([^<]+)/g;
  const body = xml.replace(/<\?xml[^>]*\?>/, "");
  for (const match of body.matchAll(tag)) {
    const [, closing, name, rawAttrs, selfClosing, text] = match;
    const top = stack[stack.length - 1] as TwimlNode;
    if (text !== undefined) {
      top.text += decode(text);
      continue;
    }
    if (closing) {
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (rawAttrs ?? "").matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1] as string] = decode(a[2] as string);
    const node: TwimlNode = { name: name as string, attrs, children: [], text: "" };
    top.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  const response = root.children.find((n) => n.name === "Response");
  if (!response) throw new Error(`not TwiML: ${xml.slice(0, 120)}`);
  return response;
}
