// The CURP checks of portal/citizens/curp.py, on the device (tests/field/test_curp_js.py
// runs both on the same vectors). The lists (states, inconvenient words) come
// from the downloaded catalog; without it the built-in copies below are used.
(function (root) {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";
  var SEXES = { H: 1, M: 1, X: 1 };
  var STATES = ("AS BC BS CC CL CM CS CH DF DG GT GR HG JC MC MN MS NT NL OC PL QT QR SP SL SR TC " +
    "TS TL VZ YN ZS NE").split(" ");
  var WORDS = ("BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO " +
    "COLA CULO FALO FETO GETA GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA " +
    "KOJE KOJI KOJO KOLA KULO LILO LOCA LOCO LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION MOCO " +
    "MOKO MULA MULO NACA NACO PEDA PEDO PENE PIPI PITO POPO PUTA PUTO QULO RATA ROBA ROBE ROBO " +
    "RUIN SENO TETA VACA VAGA VAGO VAKA VUEI VUEY WUEI WUEY").split(" ");

  function normalize(raw) {
    return String(raw || "").replace(/[\s\-]+/g, "").toUpperCase();
  }

  function checkDigit(first17) {
    var total = 0;
    for (var i = 0; i < 17; i++) {
      total += ALPHABET.indexOf(first17.charAt(i)) * (18 - i);
    }
    return String((10 - (total % 10)) % 10);
  }

  function birthDate(curp) {
    var century = /[0-9]/.test(curp.charAt(16)) ? 1900 : 2000;
    var year = century + parseInt(curp.substr(4, 2), 10);
    var month = parseInt(curp.substr(6, 2), 10);
    var day = parseInt(curp.substr(8, 2), 10);
    var date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
      return null;
    }
    return year + "-" + ("0" + month).slice(-2) + "-" + ("0" + day).slice(-2);
  }

  // In the page's language when the brigade page gives its texts (brigade.js).
  function say(spanish, values) {
    if (typeof root.brigadeText === "function") { return root.brigadeText(spanish, values); }
    Object.keys(values || {}).forEach(function (name) {
      spanish = spanish.split("%(" + name + ")s").join(String(values[name]));
    });
    return spanish;
  }
  function fail(code, message) { return { ok: false, code: code, message: message }; }

  // {ok, value} or {ok: false, code, message}; the codes are curp.py's CurpError codes.
  function validate(raw, rules) {
    var states = (rules && rules.states) || STATES;
    var words = (rules && rules.inconvenient_words) || WORDS;
    var curp = normalize(raw);
    if (!curp) { return fail("empty", say("Escriba la CURP.")); }
    if (curp.length !== 18) {
      return fail("length", say("La CURP debe tener 18 caracteres; usted escribió %(count)s.", { count: curp.length }));
    }
    if (!/^[A-Z0-9]{18}$/.test(curp)) { return fail("characters", say("La CURP solo lleva letras sin acentos y números.")); }
    if (!/^[A-Z]{4}$/.test(curp.substr(0, 4))) { return fail("format", say("Los primeros 4 caracteres de la CURP son letras.")); }
    if (!/^[0-9]{6}$/.test(curp.substr(4, 6))) {
      return fail("format", say("Los caracteres 5 a 10 de la CURP son la fecha de nacimiento en números (AAMMDD)."));
    }
    if (!SEXES[curp.charAt(10)]) { return fail("sex", say("El carácter 11 de la CURP debe ser H, M o X.")); }
    if (states.indexOf(curp.substr(11, 2)) < 0) {
      return fail("state", say("Los caracteres 12 y 13 de la CURP no son una clave de entidad válida."));
    }
    if (!/^[A-Z]{3}$/.test(curp.substr(13, 3))) { return fail("format", say("Los caracteres 14 a 16 de la CURP son letras.")); }
    if (!/^[0-9]$/.test(curp.charAt(17))) { return fail("format", say("El último carácter de la CURP es un número.")); }
    if (words.indexOf(curp.substr(0, 4)) >= 0) { return fail("word", say("Las primeras 4 letras de la CURP no son válidas.")); }
    if (birthDate(curp) === null) { return fail("date", say("La fecha de nacimiento de la CURP no existe.")); }
    if (curp.charAt(17) !== checkDigit(curp.substr(0, 17))) {
      return fail("check_digit", say("El dígito verificador no coincide; revise que la CURP esté bien escrita."));
    }
    return { ok: true, value: curp };
  }

  // What the CURP says that the typed birth date and sex must agree with.
  function consistency(curp, birth, sex) {
    var problems = [];
    if (birth && birthDate(curp) !== birth) {
      problems.push(say("La fecha de nacimiento no coincide con la de la CURP."));
    }
    if (sex && curp.charAt(10) !== sex) {
      problems.push(say("El sexo no coincide con el de la CURP."));
    }
    return problems;
  }

  root.Curp = { normalize: normalize, validate: validate, checkDigit: checkDigit,
    birthDate: birthDate, consistency: consistency };
  if (typeof module !== "undefined" && module.exports) { module.exports = root.Curp; }
})(typeof self !== "undefined" ? self : this);
