import { describe, expect, it } from "vitest";
import { guessMapping, type ImportOptions, parseCsv, readHeaders, validateImport } from "./csv-import";

const TODAY = new Date("2024-06-15T12:00:00Z");
const MAPPING = { name: "Name", phone: "Phone", email: "Email", lastJobDate: "Last job", jobType: "Service" };
const HEADER = "Name,Phone,Email,Last job,Service";

function check(lines: string[], options: Partial<ImportOptions> = {}) {
  return validateImport([HEADER, ...lines].join("\n"), { mapping: MAPPING, today: TODAY, ...options });
}

describe("parseCsv", () => {
  it("keeps a comma inside a quoted field in one cell", () => {
    expect(parseCsv('a,"Smith, John",c').records[0]?.cells).toEqual(["a", "Smith, John", "c"]);
  });

  it("reads a doubled quote inside a quoted field as one quote", () => {
    expect(parseCsv('"say ""hi""",x').records[0]?.cells).toEqual(['say "hi"', "x"]);
  });

  it("ends rows at CRLF, LF and a lone CR alike", () => {
    const { records } = parseCsv("a\r\nb\nc\rd");
    expect(records.map((record) => [record.line, record.cells[0]])).toEqual([
      [1, "a"],
      [2, "b"],
      [3, "c"],
      [4, "d"],
    ]);
  });

  it("drops a leading byte order mark from the first header", () => {
    expect(readHeaders("\ufeffName,Phone\nAnn,1")).toEqual(["Name", "Phone"]);
  });

  it("keeps a newline inside quotes in the cell and counts it as a physical line", () => {
    const { records } = parseCsv('a,"line one\r\nline two"\nb,c');
    expect(records[0]?.cells[1]).toBe("line one\nline two");
    expect(records[1]).toEqual({ line: 3, cells: ["b", "c"] });
  });

  it("keeps a quote in the middle of an unquoted field as written", () => {
    expect(parseCsv('Ann,a 3/4" pipe leak').records[0]?.cells).toEqual(["Ann", 'a 3/4" pipe leak']);
  });

  it("keeps an empty quoted field empty, not a quote", () => {
    expect(parseCsv('a,"",c').records[0]?.cells).toEqual(["a", "", "c"]);
  });

  it("reports text after a closing quote on the row it belongs to", () => {
    expect(parseCsv('h\n"abc"def').problems).toEqual([{ line: 2, message: "has text after a closing quote" }]);
  });

  it("splits on a semicolon when told to", () => {
    expect(parseCsv("a;b,c;d", ";").records[0]?.cells).toEqual(["a", "b,c", "d"]);
  });
});

describe("guessMapping", () => {
  it("maps the common spellings of each field", () => {
    expect(guessMapping(["Customer Name", "Phone Number", "E-mail", "Last job", "Service", "Notes"])).toEqual({
      name: "Customer Name",
      phone: "Phone Number",
      email: "E-mail",
      lastJobDate: "Last job",
      jobType: "Service",
      notes: "Notes",
    });
  });

  it("prefers a mobile column over a landline for the phone", () => {
    expect(guessMapping(["Phone", "Mobile"]).phone).toBe("Mobile");
  });

  it("joins First Name and Last Name when there is no whole-name column", () => {
    expect(guessMapping(["First Name", "Last Name", "Cell"]).name).toEqual(["First Name", "Last Name"]);
  });

  it("reads 'Contact Number' as a phone, not a name", () => {
    expect(guessMapping(["Contact Number", "Client"])).toEqual({ phone: "Contact Number", name: "Client" });
  });

  it("maps a header to one field only", () => {
    const mapping = guessMapping(["Date", "Email"]);
    expect(mapping).toEqual({ lastJobDate: "Date", email: "Email" });
  });

  it("leaves a header it does not recognise unmapped", () => {
    expect(guessMapping(["Favourite colour", "Phone"])).toEqual({ phone: "Phone" });
  });
});

describe("validateImport", () => {
  it("normalizes a valid row: E.164 phone, lower-case email, ISO date, tidy name", () => {
    const report = check(["  Ann   Lee ,(212) 555-0123,Ann@Example.COM,5/14/2023,AC tune-up"]);
    expect(report.errors).toEqual([]);
    expect(report.rows).toEqual([
      {
        line: 2,
        name: "Ann Lee",
        phone: "+12125550123",
        email: "ann@example.com",
        lastJobDate: "2023-05-14",
        jobType: "AC tune-up",
      },
    ]);
  });

  it("reads a national number in the default country given", () => {
    const report = check(["Ann,07400 123456,,,"], { defaultCountry: "GB" });
    expect(report.rows[0]?.phone).toBe("+447400123456");
  });

  it("reports a phone that is not a number by line and field", () => {
    const report = check(["Ann,+1 212 555 0123,,,", "Bob,555-12,,,"]);
    expect(report.errors).toEqual([{ line: 3, field: "phone", message: expect.stringContaining('"555-12"') }]);
    expect(report.rows.map((row) => row.line)).toEqual([2]);
  });

  it("reports an email that is not an address", () => {
    expect(check(["Ann,,ann@,,"]).errors).toEqual([
      { line: 2, field: "email", message: '"ann@" is not an email address' },
    ]);
  });

  it("refuses a row with neither a phone nor an email", () => {
    expect(check(["Ann,,,2023-01-01,Repair"]).errors).toEqual([
      { line: 2, field: "(row)", message: "has neither a phone nor an email" },
    ]);
  });

  it("treats N/A and a dash as no value", () => {
    const report = check(["Ann,N/A,ann@example.com,-,none"]);
    expect(report.errors).toEqual([]);
    expect(report.rows[0]).toEqual({ line: 2, name: "Ann", email: "ann@example.com" });
  });

  it("reports a duplicate phone written differently, naming the earlier line", () => {
    const report = check(["Ann,212-555-0123,,,", "Bob,,bob@example.com,,", "Ann L,(212) 555 0123,,,"]);
    expect(report.errors).toEqual([
      { line: 4, field: "phone", message: "duplicates line 2 (same phone)", duplicateOf: 2 },
    ]);
  });

  it("reports a duplicate email regardless of its case", () => {
    const report = check(["Ann,,ann@example.com,,", "Annie,,ANN@example.com,,"]);
    expect(report.errors).toEqual([
      { line: 3, field: "email", message: "duplicates line 2 (same email)", duplicateOf: 2 },
    ]);
  });

  it("reports a row that repeats both the phone and the email of one earlier row once", () => {
    const report = check(["Ann,2125550123,ann@example.com,,", "Ann,2125550123,ann@example.com,,"]);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.field).toBe("phone");
  });

  it("finds a duplicate of an earlier row that was itself invalid", () => {
    const report = check(["Ann,2125550123,not-an-email,,", "Ann,2125550123,,,"]);
    expect(report.errors.map((error) => [error.line, error.field])).toEqual([
      [2, "email"],
      [3, "phone"],
    ]);
  });

  it("keeps the next row's line number right after a quoted field with a newline", () => {
    const report = validateImport(
      ['Name,Phone,Notes\nAnn,2125550123,"gate code 1234\nback door"', "Bob,bad,"].join("\n"),
      { mapping: { name: "Name", phone: "Phone", notes: "Notes" }, today: TODAY },
    );
    expect(report.rows[0]?.notes).toBe("gate code 1234\nback door");
    expect(report.errors.map((error) => error.line)).toEqual([4]);
  });

  it("skips blank lines but still counts them in line numbers", () => {
    const report = check(["", "Ann,bad,,,", ",,,,"]);
    expect(report.dataRows).toBe(1);
    expect(report.errors[0]?.line).toBe(3);
  });

  it("reports a row with more values than the header has columns", () => {
    const report = check(["Smith, John,2125550123,,,Repair"]);
    expect(report.errors).toContainEqual({
      line: 2,
      field: "(row)",
      message: "has 6 values but the header has 5 columns",
    });
    expect(report.rows).toEqual([]);
  });

  it("joins several name columns with a space", () => {
    const report = validateImport("First,Last,Cell\nAnn,Lee,2125550123", {
      mapping: { name: ["First", "Last"], phone: "Cell" },
    });
    expect(report.rows[0]?.name).toBe("Ann Lee");
  });

  describe("dates", () => {
    it.each([
      ["an ISO date", "2023-05-04", "2023-05-04"],
      ["an ISO timestamp", "2023-05-04T10:30:00Z", "2023-05-04"],
      ["a US date with a two-digit year", "5/4/23", "2023-05-04"],
      ["a spreadsheet date with a time", "05/04/2023 10:30 AM", "2023-05-04"],
      ["a month name first", '"May 4, 2023"', "2023-05-04"],
      ["a day first with a short month", "4 Sept 2023", "2023-09-04"],
      ["a two-digit year later than this year, as last century", "1/2/99", "1999-01-02"],
    ])("reads %s", (_name, raw, iso) => {
      expect(check([`Ann,2125550123,,${raw},`]).rows[0]?.lastJobDate).toBe(iso);
    });

    it("reads numeric dates day first when the file says so", () => {
      expect(check(["Ann,2125550123,,05/04/2023,"], { dateOrder: "DMY" }).rows[0]?.lastJobDate).toBe("2023-04-05");
    });

    it("refuses a day-first date in a month-first file rather than guessing", () => {
      expect(check(["Ann,2125550123,,14/05/2023,"]).errors).toEqual([
        { line: 2, field: "lastJobDate", message: '"14/05/2023" is not a month/day/year date' },
      ]);
    });

    it("refuses a day the month does not have", () => {
      expect(check(["Ann,2125550123,,2023-02-29,"]).errors[0]?.field).toBe("lastJobDate");
      expect(check(["Ann,2124550123,,2024-02-29,"]).errors).toEqual([]);
    });

    it("refuses a last job date in the future", () => {
      expect(check(["Ann,2125550123,,2024-06-16,"]).errors[0]?.message).toBe('"2024-06-16" is in the future');
    });

    it("refuses text that is not a date", () => {
      expect(check(["Ann,2125550123,,last spring,"]).errors[0]?.field).toBe("lastJobDate");
    });
  });

  describe("the file as a whole", () => {
    it("accepts exactly the maximum number of rows", () => {
      const report = check(["Ann,2125550123,,,", "Bob,2125550124,,,"], { maxRows: 2 });
      expect(report.fileError).toBeUndefined();
      expect(report.rows).toHaveLength(2);
    });

    it("refuses one row over the maximum, naming the line where the excess starts", () => {
      const report = check(["Ann,2125550123,,,", "", "Bob,2125550124,,,"], { maxRows: 1 });
      expect(report.fileError).toEqual({
        field: "(file)",
        line: 4,
        message: "has more than 1 rows (the limit); split it into smaller files",
      });
      expect(report.rows).toEqual([]);
    });

    it("counts the size limit in UTF-8 bytes, not characters", () => {
      const text = "Phone,Name\n2125550123,Zoë"; // 25 characters, 26 bytes
      const mapping = { phone: "Phone", name: "Name" };
      expect(validateImport(text, { mapping, maxBytes: 26 }).fileError).toBeUndefined();
      expect(validateImport(text, { mapping, maxBytes: 25 }).fileError?.message).toBe(
        "is larger than 25 bytes (the limit)",
      );
    });

    it("refuses a quote that never closes, naming the line it opened on", () => {
      const report = check(["Ann,2125550123,,,", 'Bob,2125550124,,,"open', "Cy,2125550125,,,"]);
      expect(report.fileError).toEqual({
        field: "(file)",
        line: 3,
        message: "a quoted field opened on line 3 is never closed",
      });
    });

    it("refuses a mapping that names a column the header lacks", () => {
      expect(check([], { mapping: { phone: "Mobile" } }).fileError).toEqual({
        field: "phone",
        line: 1,
        message: 'column "Mobile" is not in the file\'s header',
      });
    });

    it("refuses a mapping with neither a phone nor an email column", () => {
      expect(check([], { mapping: { name: "Name" } }).fileError?.field).toBe("mapping");
    });

    it("refuses a UTF-16 file read as text, saying how to fix it", () => {
      const text = "P\u0000h\u0000o\u0000n\u0000e\u0000";
      expect(validateImport(text, { mapping: { phone: "Phone" } }).fileError?.message).toContain("UTF-16");
    });

    it("refuses an empty file", () => {
      expect(validateImport("", { mapping: { phone: "Phone" } }).fileError?.message).toBe("is empty");
    });
  });
});
