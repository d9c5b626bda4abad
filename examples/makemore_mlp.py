"""The lecture's MLP ("Becoming a backprop ninja", makemore part 4) trained
on names, with the backward pass hnncompile writes for it.

    python examples/makemore_mlp.py [--steps 4000] [--seed 2147483647]

The lecture's forward pass, pasted as it is into makemore_mlp_forward.hnn
(embedding table C, linear W1 b1, batch norm bngain bnbias, tanh, linear
W2 b2, the cross-entropy written out), predicts each name's next character
from the three before it. The students write its backward pass by hand,
line by line; here hnncompile writes it (target="numpy"), and training is
the lecture's: minibatches of 32 examples, plain gradient descent. The
names are a few hundred that this file carries, so it needs nothing to
download; every so many steps it prints the loss over all of them, which
falls from about log(27) = 3.3 (a uniform guess) to below 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np

import hnncompile

HERE = Path(__file__).parent
CHARACTERS = ".abcdefghijklmnopqrstuvwxyz"  # "." starts and ends each name
BLOCK_SIZE = 3  # how many characters it sees to predict the next one
N_EMBD = 10  # the size of each character's embedding vector
N_HIDDEN = 64  # hidden units, as in the lecture
BATCH_SIZE = 32
LEARNING_RATE = 0.1
PARAMETERS = ["C", "W1", "b1", "W2", "b2", "bngain", "bnbias"]

NAMES = """
emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail
emily elizabeth mila ella avery sofia camila aria scarlett victoria madison
luna grace chloe penelope layla riley zoey nora lily eleanor hannah lillian
addison aubrey ellie stella natalie zoe leah hazel violet aurora savannah
audrey brooklyn bella claire skylar lucy paisley everly anna caroline nova
genesis emilia kennedy samantha maya willow kinsley naomi aaliyah elena
sarah ariana allison gabriella alice madelyn cora ruby eva serenity autumn
adeline hailey gianna valentina isla eliana quinn nevaeh ivy sadie piper
lydia alexa josephine emery julia delilah arianna vivian kaylee sophie
brielle madeline peyton rylee clara hadley melanie mackenzie reagan adalynn
liliana aubree jade katherine isabelle natalia raelynn maria athena ximena
arya leilani taylor faith rose kylie alexandra mary margaret lyla ashley
amaya eliza brianna bailey andrea khloe jasmine melody iris isabel norah
annabelle valeria emerson adalyn ryleigh eden emersyn anastasia kayla alyssa
juliana charlie esther ariel cecilia valerie alina molly reese aliyah lilly
parker finley morgan sydney jordyn eloise trinity daisy kimberly lauren
genevieve sara arabella harmony elise remi teagan alexis london sloane laila
lucia diana juliette sienna elliana londyn ayla callie gracie josie amara
jocelyn daniela everleigh mya rachel summer alana brooke alaina mckenzie
catherine amy presley journee rosalie ember brynlee rowan joanna paige rebecca
liam noah william james oliver benjamin elijah lucas mason logan alexander
ethan jacob michael daniel henry jackson sebastian aiden matthew samuel david
joseph carter owen wyatt john jack luke jayden dylan grayson levi isaac
gabriel julian mateo anthony jaxon lincoln joshua christopher andrew theodore
caleb ryan asher nathan thomas leo isaiah charles josiah hudson christian
hunter connor eli ezra aaron landon adrian jonathan nolan jeremiah easton
elias colton cameron carson robert angel maverick nicholas dominic jaxson
greyson adam ian austin santiago jordan cooper brayden roman evan ezekiel
xavier jose jace jameson leonardo bryson axel everett parker kayden miles
sawyer jason declan weston micah ayden wesley luca vincent damian zachary
silas gavin chase kai emmett harrison nathaniel kingston cole tyler bennett
bentley ryker tristan brandon kevin luis george ashton rowan braxton ryder
gael ivan diego maxwell max carlos kaiden juan maddox justin waylon calvin
giovanni jonah abel jayce jesus amir king beau camden alex jasper malachi
brody jude blake emmanuel eric brooks elliot antonio abraham timothy finn
rhett elliott edward august xander alan dean lorenzo bryce karter victor
milo miguel hayden graham grant zion tucker jesse zayden joel richard patrick
emiliano avery nicolas brantley dawson myles matteo river steven thiago zane
""".split()


def dataset(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's build_dataset: for every character of every name (and
    the "." after it), a row of X with the numbers of the BLOCK_SIZE
    characters before it, "." where the name has not started, and in Y its
    own number."""
    number = {ch: i for i, ch in enumerate(CHARACTERS)}
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK_SIZE
        for ch in w + ".":
            ix = number[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]  # crop and append
    return np.array(X, dtype=np.int64), np.array(Y, dtype=np.int64)


def initial_parameters(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The lecture's initialization (its "kaiming init" of W1, small output
    weights, batch norm gain near 1 and bias near 0)."""
    vocab_size = len(CHARACTERS)
    fan_in = N_EMBD * BLOCK_SIZE
    return {
        "C": rng.standard_normal((vocab_size, N_EMBD)),
        # Layer 1
        "W1": rng.standard_normal((fan_in, N_HIDDEN)) * (5 / 3) / fan_in**0.5,
        "b1": rng.standard_normal(N_HIDDEN) * 0.1,  # useless, batch norm undoes it
        # Layer 2
        "W2": rng.standard_normal((N_HIDDEN, vocab_size)) * 0.1,
        "b2": rng.standard_normal(vocab_size) * 0.1,
        # BatchNorm parameters
        "bngain": rng.standard_normal((1, N_HIDDEN)) * 0.1 + 1.0,
        "bnbias": rng.standard_normal((1, N_HIDDEN)) * 0.1,
    }


def train(
    steps: int = 4000, seed: int = 2147483647, report: Callable[[str], None] = print
) -> list[dict]:
    """Minibatch gradient descent; the loss over all the names, reported
    ten times along the way and after the last step."""
    mlp = hnncompile.compile_file(
        HERE / "makemore_mlp_forward.hnn", target="numpy", wrt=PARAMETERS
    )
    X, Y = dataset(NAMES)
    report(f"{len(NAMES)} names, {len(X)} examples of a character and the 3 before it")
    rng = np.random.default_rng(seed)
    parameters = initial_parameters(rng)
    every = max(steps // 10, 1)
    history = []
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            # The forward pass alone, over every example as one batch.
            loss = float(mlp(Xb=X, Yb=Y, n=len(X), **parameters))
            history.append({"step": step, "loss": loss})
            report(f"step {step:5d}: loss {loss:.4f}")
        if step == steps:
            break
        # The lecture's minibatch construct
        ix = rng.integers(0, len(X), size=BATCH_SIZE)
        _, grads = mlp.grad(Xb=X[ix], Yb=Y[ix], n=BATCH_SIZE, **parameters)
        for name in PARAMETERS:
            parameters[name] -= LEARNING_RATE * grads[name]
    return history


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=2147483647)
    options = parser.parse_args(argv)
    train(options.steps, options.seed)


if __name__ == "__main__":
    main()
