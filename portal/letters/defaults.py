"""The default text of each kind of letter, used until the administrator saves their own.

Danish administrative letters: the decision first, then what it covers, the reasons (per
criterion after Trin 2), what happens next; the complaint guidance says whom to complain to and
by when. They are letter text, not interface text: a letter is a Danish document whatever
language its reader's portal shows, so these are not message ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.letters.rules import ELIGIBLE, NOT_SELECTED, PARTIAL, REJECTED, SELECTED


@dataclass(frozen=True)
class DefaultTemplate:
    subject: str
    body: str
    guidance: str


GUIDANCE = """\
I kan klage over afgørelsen til Styrelsen for Arbejdsmarked og Rekruttering. Klagen skal \
være modtaget senest {klagefrist}.

I klager i Forsøgsportalen: åbn dette brev under «Breve» og vælg «Klag over afgørelsen». \
Skriv, hvilken del af afgørelsen I er uenige i, og hvorfor. Klagen kan kun sendes af en \
tegningsberettiget i a-kassen.

Klagen behandles af en medarbejder i styrelsen, som ikke har deltaget i vurderingen af jeres \
ansøgning. I får besked i portalen, når klagen er afgjort. Ændres afgørelsen, indgår den \
ændrede afgørelse i den videre udvælgelse.

Portalen modtager ikke klager efter fristen."""

_CLOSING = """\
Med venlig hilsen

Styrelsen for Arbejdsmarked og Rekruttering"""

_NEXT_AFTER_TRIN_2 = """\
## Hvad sker der nu?
Aftalepartierne udvælger blandt de støtteberettigede a-kasser dem, der skal deltage i \
forsøget, så sammensætningen bliver repræsentativ, og forsøget kan evalueres. I får særskilt \
besked, når aftalepartierne har truffet beslutning."""

ELIGIBLE_BODY = f"""\
Kære {{a_kasse}}

Styrelsen for Arbejdsmarked og Rekruttering har behandlet jeres ansøgning om at deltage i \
forsøget med a-kassernes kontaktforløb ({{runde}}).

## Afgørelse
{{afgørelse}}

Den godkendte geografiske udstrækning er {{udstrækning}}. Den godkendte kapacitet er \
{{kapacitet}}. Kommunerne fremgår af kortet og listen i bilaget.

## Begrundelse
{{begrundelse}}

Styrelsen har vurderet ansøgningen ud fra hvert af rundens kriterier:

{{kriterier}}

{_NEXT_AFTER_TRIN_2}

{_CLOSING}"""

PARTIAL_BODY = f"""\
Kære {{a_kasse}}

Styrelsen for Arbejdsmarked og Rekruttering har behandlet jeres ansøgning om at deltage i \
forsøget med a-kassernes kontaktforløb ({{runde}}).

## Afgørelse
{{afgørelse}}

{{delvis}}

I har søgt om {{ansøgt_udstrækning}} og {{ansøgt_kapacitet}}. Styrelsen har godkendt \
{{udstrækning}} og {{kapacitet}}. Kommunerne fremgår af kortet og listen i bilaget.

## Begrundelse
{{begrundelse}}

Styrelsen har vurderet ansøgningen ud fra hvert af rundens kriterier:

{{kriterier}}

{_NEXT_AFTER_TRIN_2}

{_CLOSING}"""

REJECTED_BODY = f"""\
Kære {{a_kasse}}

Styrelsen for Arbejdsmarked og Rekruttering har behandlet jeres ansøgning om at deltage i \
forsøget med a-kassernes kontaktforløb ({{runde}}).

## Afgørelse
{{afgørelse}}

## Begrundelse
{{begrundelse}}

{{ikke_opfyldt}} Et kriterium er opfyldt, når den konsoliderede score mindst når \
kriteriets tærskel. Styrelsen har vurderet ansøgningen ud fra hvert af rundens kriterier:

{{kriterier}}

{_CLOSING}"""

SELECTED_BODY = f"""\
Kære {{a_kasse}}

## Afgørelse
{{afgørelse}}

I forsøget omfatter jeres kontaktforløb {{udstrækning}}. Det forventede antal forløb er \
{{forløb}}, inden for den godkendte kapacitet på {{kapacitet}}. Kommunerne fremgår af kortet og \
listen i bilaget.

## Begrundelse
{{begrundelse}}

## Hvad sker der nu?
Styrelsen kontakter jer om den videre planlægning af forsøget.

{_CLOSING}"""

NOT_SELECTED_BODY = f"""\
Kære {{a_kasse}}

## Afgørelse
{{afgørelse}}

## Begrundelse
{{begrundelse}}

Styrelsens afgørelse om, at jeres a-kasse er støtteberettiget, er ikke ændret af denne \
beslutning.

{_CLOSING}"""

DEFAULTS = {
    ELIGIBLE: DefaultTemplate(
        "Afgørelse om støtteberettigelse: {a_kasse}", ELIGIBLE_BODY, GUIDANCE
    ),
    PARTIAL: DefaultTemplate(
        "Afgørelse om støtteberettigelse (delvis godkendt): {a_kasse}", PARTIAL_BODY, GUIDANCE
    ),
    REJECTED: DefaultTemplate(
        "Afgørelse om støtteberettigelse (afslag): {a_kasse}", REJECTED_BODY, GUIDANCE
    ),
    SELECTED: DefaultTemplate(
        "Udvælgelse til forsøget med kontaktforløbet: {a_kasse}", SELECTED_BODY, GUIDANCE
    ),
    NOT_SELECTED: DefaultTemplate(
        "Udvælgelse til forsøget med kontaktforløbet: {a_kasse}", NOT_SELECTED_BODY, GUIDANCE
    ),
}
