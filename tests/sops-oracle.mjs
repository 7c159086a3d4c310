// Oracle for clan-tui's sops files, built from implementations that are not ours: npm's
// sops-age decrypts the file; the MAC, which sops-age does not check, is checked here with
// npm's age-encryption (the data key from an "enc" entry) and node's own AES-GCM and SHA-512,
// following sops: SHA-512 of the plaintext, upper-case hex, AES-256-GCM with the
// lastmodified string as additional data.
//   node sops-oracle.mjs decrypt FILE IDENTITYFILE  -> the plaintext on stdout
// Exit 1 with a message on any failure (no identity, tag or MAC mismatch).
import { readFileSync } from "node:fs";
import { createDecipheriv, createHash } from "node:crypto";
import { decryptSops } from "sops-age";
import { Decrypter, armor } from "age-encryption";

const [cmd, file, idfile] = process.argv.slice(2);
if (cmd !== "decrypt" || !file || !idfile) {
  console.error("usage: sops-oracle.mjs decrypt FILE IDENTITYFILE");
  process.exit(2);
}
const key = readFileSync(idfile, "utf8").split("\n").map((l) => l.trim())
  .find((l) => l.startsWith("AGE-SECRET-KEY-1"));
const text = readFileSync(file, "utf8");

function openEnc(value, dataKey, aad) {
  const m = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$/.exec(value);
  if (!m) throw new Error(`not an ENC value: ${value}`);
  const d = createDecipheriv("aes-256-gcm", dataKey, Buffer.from(m[2], "base64"));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(m[3], "base64"));
  return Buffer.concat([d.update(Buffer.from(m[1], "base64")), d.final()]);
}

try {
  const plain = await decryptSops(text, { secretKey: key, fileType: "json" });
  const data = Buffer.from(plain.data ?? "", "utf8");
  const meta = JSON.parse(text).sops;
  const dec = new Decrypter();
  dec.addIdentity(key);
  let dataKey = null;
  for (const e of meta.age) {
    try {
      dataKey = Buffer.from(await dec.decrypt(armor.decode(e.enc)));
      break;
    } catch (_) { /* another recipient's entry */ }
  }
  if (!dataKey) throw new Error("no age entry opens with the identity");
  const mac = openEnc(meta.mac, dataKey, meta.lastmodified).toString("utf8");
  const want = createHash("sha512").update(data).digest("hex").toUpperCase();
  if (mac !== want) throw new Error(`MAC mismatch: ${mac} != ${want}`);
  process.stdout.write(data);
} catch (e) {
  console.error(`sops-oracle: ${file}: ${e.message}`);
  process.exit(1);
}
