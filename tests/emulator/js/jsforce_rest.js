// jsforce 3 against the emulator: identity, REST query with paging, sobject CRUD.
// Usage: node jsforce_rest.js INSTANCE_URL ACCESS_TOKEN  (prints one JSON object)
const jsforce = require("jsforce");

async function main() {
  const [instanceUrl, accessToken] = process.argv.slice(2);
  const conn = new jsforce.Connection({ instanceUrl, accessToken, version: "62.0" });
  const out = {};
  const identity = await conn.identity();
  out.identity = { user_id: identity.user_id, organization_id: identity.organization_id,
                   username: identity.username };
  const created = await conn.sobject("Account").create({ Name: "From jsforce", NumberOfEmployees: 7 });
  out.created = created;
  await conn.sobject("Account").update({ Id: created.id, NumberOfEmployees: 8 });
  const got = await conn.sobject("Account").retrieve(created.id);
  out.retrieved = { Name: got.Name, NumberOfEmployees: got.NumberOfEmployees };
  const contacts = [];
  for (let i = 0; i < 2500; i++) contacts.push({ LastName: `JS ${String(i).padStart(4, "0")}` });
  await conn.bulk2.loadAndWaitForResults({ object: "Contact", operation: "insert", input: contacts });
  const first = await conn.query("SELECT LastName, Account.Name FROM Contact ORDER BY LastName");
  const all = [];
  await new Promise((resolve, reject) => {
    conn.query("SELECT LastName FROM Contact ORDER BY LastName")
      .on("record", (record) => all.push(record))
      .on("end", resolve)
      .on("error", reject)
      .run({ autoFetch: true, maxFetch: 10000 });
  });
  out.query = { totalSize: first.totalSize, done: first.done, firstPage: first.records.length,
                next: first.nextRecordsUrl, fetched: all.length,
                last: all[all.length - 1].LastName, account: first.records[0].Account };
  await conn.sobject("Account").destroy(created.id);
  out.afterDelete = (await conn.query("SELECT Id FROM Account")).totalSize;
  console.log(JSON.stringify(out));
}

main().catch((err) => { console.error(String(err && err.stack || err)); process.exit(1); });
