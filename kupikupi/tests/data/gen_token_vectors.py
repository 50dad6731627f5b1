# Computes the expected tokens of token_vectors.json with an implementation
# of the Token rule independent of the Rust one. Run: python3 gen_token_vectors.py > token_vectors.json
import hashlib, json

def token(body, secret):
    def pairs_hook(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), "duplicate key"
        return pairs
    root = json.loads(body, object_pairs_hook=pairs_hook,
                      parse_int=lambda s: ("num", s), parse_float=lambda s: ("num", s),
                      parse_constant=lambda s: ("num", s))
    fields = []
    for key, value in root:
        if key == "Token":
            continue
        if isinstance(value, str):
            fields.append((key, value))
        elif isinstance(value, tuple):
            fields.append((key, value[1]))
        elif value is True:
            fields.append((key, "true"))
        elif value is False:
            fields.append((key, "false"))
    fields.append(("SecretKey", secret))
    fields.sort(key=lambda kv: kv[0].encode())
    return hashlib.sha256("".join(v for _, v in fields).encode()).hexdigest()

S = "yIKirCvplm0N1DOg"
vectors = [
  ("notification confirmed", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"9921","PaymentId":"p-100","Amount":972,"Phone":79000000001,"Status":"CONFIRMED","Success":true,"ErrorCode":"0"}', S),
  ("init with cyrillic description", '{"UidPlatform":"M2hULcD5OiYGkmSK","Phone":79000000000,"OrderId":"1000","Amount":10000,"Description":"Заказ №1000: чайник"}', S),
  ("emoji description", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"emoji-1","Amount":100,"Description":"Gift 🎁 for 👩‍👩‍👧"}', S),
  ("escaped unicode equals raw text", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"esc-1","Amount":100,"Description":"\\u0417\\u0430\\u043a\\u0430\\u0437 \\ud83c\\udf81 \\"q\\" \\\\ \\n\\t\\/"}', S),
  ("amount u64 max", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"max","Amount":18446744073709551615}', S),
  ("booleans", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"b","Success":false,"Test":true,"ErrorCode":"5"}', S),
  ("number written with fraction", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"f","Amount":6300.0}', S),
  ("numbers kept as written", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"n","Rate":1e3,"Delta":-1,"Tiny":0.000100}', S),
  ("nested object and array left out", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"nest","Amount":500,"Data":{"Amount":1,"Note":"x"},"DATA":{"k":[1,2]},"Receipt":{"Items":[{"Name":"Tea","Price":500}]},"Items":[1,"two",{"three":3}]}', S),
  ("unknown root scalar included", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"u","Amount":100,"Status":"CONFIRMED","RRN":"123456789012","Pan":"430000******0777"}', S),
  ("empty strings", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"e","Description":"","Message":"","Details":""}', S),
  ("null left out", '{"UidPlatform":"M2hULcD5OiYGkmSK","OrderId":"null","Amount":100,"Description":null,"Details":null}', S),
  ("keys sorted by bytes around SecretKey", '{"b":"1","B":"2","Sd":"3","SecretKex":"4","SecretKeyA":"5","Secret":"6","a":"7","_":"8","Z":"9"}', S),
  ("whitespace and token field ignored", '{ "OrderId" : "ws" ,\n  "Amount" : 250 ,\t"Token" : "ignored" }', S),
  ("balance request with another secret", '{"UidPlatform":"platform-2","Phone":79001234567}', "другой-ключ 🔑"),
  ("empty object", '{}', S),
]
out = []
for name, body, secret in vectors:
    out.append({"name": name, "body": body, "secret": secret, "token": token(body, secret)})
print(json.dumps(out, ensure_ascii=False, indent=2))
