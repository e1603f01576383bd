/**
 * Pronounceable invented names from syllables, for the fictional `world` corpus.
 * Every generated word is unique (case-insensitive) across the whole world and is checked against a stoplist of
 * common English words, so names never collide with ordinary vocabulary or with each other.
 */
import type { Rng } from '../src/engine/rng';

const ONSETS = [
  'b',
  'd',
  'f',
  'g',
  'h',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'z',
  'br',
  'dr',
  'gr',
  'kr',
  'tr',
  'st',
  'th',
  'sh',
  'vr',
  'j',
  'w',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ei', 'ou'];
const CODAS = ['n', 'r', 'l', 's', 'k', 'm', 'th', 'x', 'nd', 'rn', 'st', 'v'];

/**
 * Common English words a syllable generator could plausibly produce (4+ letters). Not exhaustive: invented names
 * are built so that collisions are rare, this list removes the ones that do happen.
 */
const STOP = new Set(
  `able about above after again also area army away baby back bake ball band bank bare base bath bear beat been beer bell
  belt bend best bike bill bind bird bite blue boat body boil bold bone book born boss both bowl bulk burn bush busy cake
  calm came camp card care case cash cast cave city coal coat code cold come cook cool cope copy core cost dame dare dark
  data date dawn days dead deal dear debt deep deer dine dish dive does done door dose down drag draw drew drop drum dual
  duke dull dust duty each earn east easy edge else even ever evil exam exit face fact fade fail fair fake fall fame farm
  fast fate fear feed feel fell felt file fill film find fine fire firm fish five flat flow fold folk fond food fool foot
  form fort four free from fuel full fund fuse gain game gate gave gear gift girl give glad goal goes gold golf gone good
  grab gray grew grey grid grow gulf hair half hall hand hang hard harm hate have head hear heat held hell help here hero
  hide high hill hint hire hold hole holy home hope horn host hour huge hung hunt hurt idea into iron item join joke jump
  jury just keen keep kept kick kind king kiss knee knew know lack lady laid lake land lane last late lava lead left lend
  less life lift like line link list live load loan lock long look lord lose loss lost loud love luck made mail main make
  male mall many mark mass mate meal mean meat meet menu mere mild mile milk mind mine miss mode mood moon more most move
  much must name navy near neat neck need news next nice nine none nose note okay once only onto open oral over pace pack
  page paid pain pair pale palm park part pass past path peak pick pile pine pink pipe plan play plot plus poem poet pole
  poll pond pool poor pope pork port pose post pour pull pure push race rail rain rank rare rate read real rely rent rest
  rice rich ride ring rise risk road rock rode role roll roof room root rope rose rude rule rush safe said sake sale salt
  same sand save seal seat seed seek seem seen self sell semi send sent ship shoe shop shot show shut sick side sign sing
  sink site size skin slip slow snow soft soil sold sole some song soon sort soul soup sour spot star stay step stop such
  suit sure take tale talk tall tank tape task team tear tell tend tent term test text than that them then they thin this
  thus tide tidy tile till time tiny tire told toll tone took tool tour town tree trim trip true tube tune turn twin type
  unit upon used user vast very view vote wage wait wake walk wall want ward warm warn wash wave weak wear week well went
  were west what when whom wide wife wild will wind wine wing wire wise wish with wood word wore work yard yeah year zero
  zone baker banner bitter border bottle butter camel cannon dinner doctor donor father favor fever finger forest gather
  honey hotel human humor label labor lemon lever liver lover manor mason matter meter model motor nature never number
  other paper pepper pilot planet pocket poker power radar rather razor river robot rocket rumor salad salon satin sister
  sober solar sonar sugar summer super tenor tiger timber token tumor tutor under vapor venom venus vital voter water winter
  wonder banana bonus cobra comma delta drama final gamma koala lava llama mania manga media pasta sofa soda tuna villa vodka
  zebra data extra hero halo memo piano polo radio ratio solo studio taco tomato tornado veto video zero bond brand
  bumper dope gore haste kodak mama meme minor roles stern withe rein junto baron basin bison bravo broker cabin demon
  denim gravel harem heron joker kebab lotus melon moron navel novel panel petal raven rival robin seven siren talon
  wagon woman women zenith bandit garden golden hidden hornet kitten lesson madam magnet mantis mental monster motel
  nickel pedal rodent rotten sultan tender torment wisdom python tundra sandal vandal mantra madras bandana savanna banjo
  gusto fresco tempo bistro ghetto lasso limbo mango motto potato tango torso hippo disco gecko kimono magenta vista
  fiesta siesta stamina tibia mafia sonata regatta stigma dragon sermon stamen thorn shorn sworn brine grind blond blend
  blonde bravest broken brother bullet button danger dozen driver fabric famous gallon garlic gossip hammer hunger
  ketchup kettle ladder lantern legend lumber marble market master mirror moment mother nation needle normal object
  orange palace parrot person pillow poison potion prison profit puppet rabbit reason ribbon saddle salmon shadow
  silver simple spider spirit summit switch talent tennis thunder travel turkey velvet vessel violin vortex walnut
  wander weather window wizard yellow zombie zoning thistle thither whither wither zither`.split(/\s+/),
);

export function isStopWord(w: string): boolean {
  return STOP.has(w.toLowerCase());
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A generator of unique invented words sharing one namespace. */
export class NameMaker {
  private readonly used = new Set<string>();

  constructor(private readonly rng: Rng) {}

  /** Reserves a word (e.g. a fixed name) so no generated name equals it. */
  reserve(word: string): void {
    this.used.add(word.toLowerCase());
  }

  private raw(syllables: number): string {
    const r = this.rng;
    let s = '';
    for (let i = 0; i < syllables; i++) {
      s += r.pick(ONSETS) + r.pick(VOWELS);
      const last = i === syllables - 1;
      if (r.next() < (last ? 0.6 : 0.25)) s += r.pick(CODAS);
    }
    return s;
  }

  private ok(w: string): boolean {
    return (
      w.length >= 5 &&
      w.length <= 10 &&
      !/(.)\1\1/.test(w) && // no triple letters
      !/[^aeiouy]{4}/.test(w) && // no 4-consonant clusters
      !STOP.has(w) &&
      !this.used.has(w)
    );
  }

  /** A unique capitalised word of `minSyl`..`maxSyl` syllables, optionally with a fixed suffix. */
  word(minSyl = 2, maxSyl = 3, suffix = ''): string {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const syl = minSyl + this.rng.int(maxSyl - minSyl + 1);
      let w = this.raw(syl);
      if (suffix) w = w.replace(/[aeiouy]+$/, '') + suffix;
      if (this.ok(w)) {
        this.used.add(w);
        return capitalize(w);
      }
    }
    throw new Error('NameMaker: namespace exhausted');
  }
}
